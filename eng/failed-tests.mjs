// Lists the tests of the given .trx files that neither passed nor were skipped, one line each with the start of
// their message and, when the stack trace has one, the test source line it stopped at, so the end of a test log
// names what failed and where. Used by test.sh; no dependencies beyond Node.
import { readFileSync } from "node:fs";

const decode = (text) =>
  text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");

for (const file of process.argv.slice(2)) {
  let xml;
  try { xml = readFileSync(file, "utf8"); } catch { continue; }
  for (const match of xml.matchAll(/<UnitTestResult\b([^>]*?)(\/>|>([\s\S]*?)<\/UnitTestResult>)/g)) {
    const attributes = match[1];
    const outcome = /\boutcome="([^"]*)"/.exec(attributes)?.[1] ?? "Unknown";
    if (outcome === "Passed" || outcome === "NotExecuted") continue;
    const name = decode(/\btestName="([^"]*)"/.exec(attributes)?.[1] ?? "?");
    const duration = /\bduration="([^"]*)"/.exec(attributes)?.[1] ?? "";
    const message = decode(/<Message>([\s\S]*?)<\/Message>/.exec(match[3] ?? "")?.[1] ?? "").trim().split("\n")[0].slice(0, 400);
    // The frames of the stack trace in test files (innermost first, the test method last): where the test stopped.
    const stack = decode(/<StackTrace>([\s\S]*?)<\/StackTrace>/.exec(match[3] ?? "")?.[1] ?? "");
    const frames = [...stack.matchAll(/ in \S*?\/(tests\/[^:\s]+\.cs):line (\d+)/g)].map((f) => `${f[1]}:${f[2]}`);
    const where = frames.length > 0 ? ` [at ${[...new Set(frames)].join(" < ")}]` : "";
    console.log(`!! ${outcome}: ${name} (${duration}) ${message}${where}`);
  }
}
