// Parse Mermaid diagrams with Mermaid's own parser (mermaid 11, in a jsdom window: its parser
// needs a DOM). Input on stdin: a JSON array of diagram texts. Output: a JSON array, one entry
// per diagram: {"ok": true, "type": "<diagram type>"} or {"ok": false, "error": "<message>"}.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ["Element", "HTMLElement", "SVGElement", "Node", "DOMParser", "XMLSerializer", "MutationObserver"]) {
  if (dom.window[name] && !(name in globalThis)) globalThis[name] = dom.window[name];
}
if (!("navigator" in globalThis)) globalThis.navigator = dom.window.navigator;

const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const text of JSON.parse(input)) {
  try {
    const result = await mermaid.parse(text);
    out.push({ ok: true, type: result.diagramType });
  } catch (error) {
    out.push({ ok: false, error: String(error?.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(out) + "\n");
