// What `cfy_manager manager-db register` prints (src/entry/manager-db.ts) and the manager installer reads
// (src/installer/components/manager/register.ts): the two run in separate processes and share this shape.
export interface RegisterAnswer {
  first: boolean;
  joined: boolean;
  adminPassword: string;
  secretsKey: string;
  /** Managers registered besides this one (§6.9: the sanity check runs only when there are none). */
  otherManagers: number;
  /** This manager was registered already: a re-run of configure. */
  registered: boolean;
}
