/**
 * The extension of a repository path's file name: lower-case, without its dot, "" when
 * there is none. Repository paths use `/` and never end with one.
 *
 * A dotfile (`.gitignore`, `src/.env`) has no extension by default, as Node's
 * `path.extname` and GitHub Linguist see it: its name is not a kind of file.
 * `dotfile: "name"` counts the name after the dot as the extension instead, for telling a
 * file's name from other words: `.env` names a file the way `config.yml` does.
 */
export function extensionOf(path: string, options: { readonly dotfile?: "none" | "name" } = {}): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  const first = options.dotfile === "name" ? 0 : 1;
  return dot >= first ? name.slice(dot + 1).toLowerCase() : "";
}
