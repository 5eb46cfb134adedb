"""Statement shapes for the SQL lint: check once the statements that differ only in their names.

A thousand events and two hundred KPIs print fifteen thousand distinct statements, but only a few
hundred *shapes*: the same template with other names (``kpi_a_daily`` here, ``kpi_b_daily`` there).
Building pglast's Python nodes for every statement was most of ``generate``'s time, so the lint
checks one statement of each shape and lets the others of that shape pass with it.

The shape of a statement is its text with every *ordinary word* replaced by a number, in order of
first appearance (the same word, the same number). A word is ordinary unless the rules or the
grammar look at its spelling: SQL and PL/pgSQL keywords, the names of built-in types that change
how PL/pgSQL parses a declaration (``record``, ``refcursor``) and its implicit variables, and the
names the rules compare with (``sqllint``'s schemas, extensions, dynamic-SQL functions, droppable
caches, languages) are kept as they are. Two statements with one shape then differ by a
one-to-one renaming of ordinary names, in identifiers, literals and function bodies alike, and the
rules' verdict never depends on such a name's spelling, only on whether two names are equal (a
WITH name read unqualified), which a one-to-one renaming keeps.

PostgreSQL folds unquoted names to lower case, so a capitalised or upper-case word whose lower
case is ordinary takes that word's number (and says which case it was in), and a statement with a
word in mixed case that folds onto an ordinary word gets no shape: it is always checked on its own,
as is a statement with an identifier longer than 63 bytes (truncated: two names could become one).
A word that could prefix a literal (``e'..'``, ``b'..'``, ``x'..'``, ``n'..'``, ``u&'..'``) is kept. Only passes are remembered (in
``sqllint``), so a finding is always reported on its own statement, file and line.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pglast import keywords

#: a word (identifier or keyword); a run starting with a digit is a number and always kept
_WORD = re.compile(r"[^\W\d]\w*|\d\w*")
#: the same, captured: ``split`` gives the text between words and the words in one pass
_SPLIT = re.compile(r"([^\W\d]\w*|\d\w*)")
#: quoted identifiers; a double quote inside a string literal or comment can shift the pairing, so a
#: long name can go unseen there: harmless unless two names longer than 63 bytes that agree in their
#: first 63 are compared, and trackgen's names are at most 63 bytes
_QUOTED = re.compile(r'"(?:[^"]|"")*"')

#: PL/pgSQL's own keywords (PostgreSQL 15, pl_reserved_kwlist.h and pl_unreserved_kwlist.h)
PLPGSQL_KEYWORDS = frozenset("""
all begin by case declare else end execute for foreach from if in into loop not null or strict then to
using when while absolute alias and array assert backward call chain close collate column column_name commit
constant constraint constraint_name continue current cursor datatype debug default detail diagnostics do dump
elseif elsif errcode error exception exit fetch first forward get hint import info insert is last log merge
message message_text move next no notice open option perform pg_context pg_datatype_name pg_exception_context
pg_exception_detail pg_exception_hint pg_routine_oid print_strict_params prior query raise relative return
returned_sqlstate reverse rollback row_count rowtype schema schema_name scroll slice sqlstate stacked table
table_name type use_column use_variable variable_conflict warning
""".split())
#: names PL/pgSQL declares by itself, and types that make a declaration a record or a cursor
PLPGSQL_NAMES = frozenset("""
found sqlerrm sqlstate new old tg_name tg_when tg_level tg_op tg_relid tg_relname tg_table_name
tg_table_schema tg_nargs tg_argv tg_event tg_tag record refcursor trigger event_trigger void
""".split())
#: words that prefix a literal (escape, bit, hex, national, unicode strings)
LITERAL_PREFIXES = frozenset({"e", "b", "x", "n", "u", "uescape"})
#: language names a function's body is checked by
LANGUAGES = frozenset({"plpgsql", "sql"})

_ALWAYS = (frozenset(w.lower() for group in (keywords.RESERVED_KEYWORDS, keywords.UNRESERVED_KEYWORDS,
                                             keywords.COL_NAME_KEYWORDS, keywords.TYPE_FUNC_NAME_KEYWORDS)
                     for w in group)
           | PLPGSQL_KEYWORDS | PLPGSQL_NAMES | LITERAL_PREFIXES | LANGUAGES)


@lru_cache(maxsize=64)
def kept_words(significant: frozenset[str]) -> frozenset[str]:
    """The words kept as they are: the grammar's and those the rules compare with (``significant``,
    split into words: ``analytics_private.kpi_x`` keeps both parts)."""
    return _ALWAYS | frozenset(w for name in significant for w in _WORD.findall(name))


def shape(statement: str, kept: frozenset[str]) -> tuple | None:
    """The statement's shape (hashable), or None when it must be checked on its own."""
    if '"' in statement and any(len(q.encode()) > 65 for q in _QUOTED.findall(statement)):
        return None  # longer than PostgreSQL's 63 bytes: truncation could make two names one
    parts = _SPLIT.split(statement)
    words = parts[1::2]
    numbers: dict[str, int] = {}
    unusual = []  # capitals or other scripts: kept as they are
    for word in dict.fromkeys(words):
        if word in kept or word[0].isdigit():
            continue
        if word.isascii() and word.islower():
            if len(word) > 63:
                return None
            numbers[word] = len(numbers)
        else:
            unusual.append(word)
    mapping: dict[str, object] = dict(numbers)
    for word in unusual:  # ``The`` is ``the`` unless quoted: it keeps its number and its capitals
        number = numbers.get(word.lower())
        if number is None:
            continue
        if word == word.lower().capitalize():
            mapping[word] = ("capitalised", number)
        elif word == word.upper():
            mapping[word] = ("upper", number)
        else:
            return None
    return tuple(parts[0::2]), tuple(map(mapping.get, words, words))
