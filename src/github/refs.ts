/** What the GitHub adapter's calls are about, as plain data (from the webhook payload). */

export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
}

export interface IssueRef extends RepoRef {
  readonly issueNumber: number;
}
