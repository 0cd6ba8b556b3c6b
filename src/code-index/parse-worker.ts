import { analyzeFile, type FileAnalysis } from "./symbol-index.js";

/**
 * The worker thread's task (run by piscina, see parse-pool.ts): parse one file. Parsing and
 * walking a tree are synchronous and take seconds for a large file, so they run here, off the
 * thread that answers webhooks. The result is structured-cloned back whole: one message keeps
 * the identity of the definitions and call sites its maps are keyed by.
 */
export default function parseTask(file: { readonly path: string; readonly text: string }): Promise<FileAnalysis | undefined> {
  return analyzeFile(file.path, file.text);
}
