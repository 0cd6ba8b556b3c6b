import { parseMention, type Mention } from "./parse-mention.js";

/**
 * The worker thread's task (run by piscina, see mention-reader.ts): read one large comment.
 * Reading 64 KB of hostile Markdown takes 15–30 ms; here it holds no one's webhook.
 */
export default function mentionTask(input: { readonly text: string; readonly slug: string }): Mention | null {
  return parseMention(input.text, input.slug);
}
