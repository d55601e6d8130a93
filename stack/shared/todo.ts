// The TODO item as the API stores and returns it: one definition for todoapi, todoweb and the
// load tests' fake server. No imports, so any of them (Node or a bundle) can use it.

export const STATUSES = ['TODO', 'PROGRESS', 'DONE'] as const;
export type Status = (typeof STATUSES)[number];

/** column sizes of tododb.todo (characters, utf8mb4) */
export const TITLE_MAX = 200;
export const CONTENT_MAX = 2000;

export interface Todo {
  id: number;
  title: string;
  content: string;
  status: Status;
  /** ISO 8601 UTC, second precision */
  created: string;
  updated: string;
}
