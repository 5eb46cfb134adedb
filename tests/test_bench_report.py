"""The everyday report carries the committed 10M run's figures in the keys a reviewer reads."""

from __future__ import annotations

from bench import report


def test_ten_m_keys_come_from_the_committed_10m_run():
    reason = "this run is SCALE=1M; the 10M figure comes from `make bench SCALE=10M`"
    js = {"B2": {"incremental_over_full_10M": None, "growth_10M_over_1M": None, "backfill_over_matview_10M": None,
                 "incremental_over_full_1M": 0.012},
          "B3": {"p95_ms_10M": None, "raw_over_read_min_10M": None},
          "size": {"rollups_over_store_10M": None},
          "not_measured": {key: reason for key in report.TEN_M_KEYS}}
    ten_m = {"run": {"commit": "965fc05", "command": "make bench SCALE=10M", "started": "2026-12-02T06:26:08+00:00"},
             "B2": {"incremental_over_full_10M": 0.003, "growth_10M_over_1M": 1.40, "backfill_over_matview_10M": 0.54},
             "B3": {"p95_ms_10M": 2.3, "raw_over_read_min_10M": None},
             "size": {"rollups_over_store_10M": 0.49},
             "not_measured": {"B3.raw_over_read_min_10M": "no raw baseline"}}
    report.take_ten_m_keys(js, ten_m)
    assert js["B2"] == {"incremental_over_full_10M": 0.003, "growth_10M_over_1M": 1.40,
                        "backfill_over_matview_10M": 0.54, "incremental_over_full_1M": 0.012}
    assert js["B3"]["p95_ms_10M"] == 2.3 and js["size"]["rollups_over_store_10M"] == 0.49
    # a figure the 10M run did not measure stays null, with this run's reason
    assert js["B3"]["raw_over_read_min_10M"] is None
    assert js["not_measured"] == {"B3.raw_over_read_min_10M": reason}
    assert js["ten_m_keys_from"]["commit"] == "965fc05"
    assert "B3.raw_over_read_min_10M" not in js["ten_m_keys_from"]["keys"] and len(js["ten_m_keys_from"]["keys"]) == 5
