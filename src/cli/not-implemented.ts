// Cloudify 5.1 commands Stratus does not have yet, listed in docs/cli.md (the docs test checks that
// none of them is in the command tree, so an implemented command must leave this list).
/** `form`: a form of an implemented command (the test does not look for it in the tree). */
export const NOT_IMPLEMENTED: { command: string; why: string; form?: boolean }[] = [
  {
    command: 'cfy init BLUEPRINT_PATH (local mode)',
    why: 'local mode (in-process workflows) is not part of Stratus',
    form: true,
  },
  {
    command: 'cfy blueprints upload org/repo[:tag]',
    why: 'GitHub shorthand; give the archive URL instead',
    form: true,
  },
  {
    command: 'cfy blueprints package | create-requirements | install-plugins',
    why: 'local packaging helpers',
  },
  { command: 'cfy blueprints set-global | set-visibility | summary', why: 'not yet' },
  { command: 'cfy deployments set-visibility | set-site | summary', why: 'not yet' },
  { command: 'cfy executions delete | summary', why: 'not yet' },
  { command: 'cfy events delete', why: 'not yet' },
  { command: 'cfy nodes summary, cfy node-instances summary', why: 'summaries are not served yet' },
  { command: 'cfy secrets set-global | set-visibility | export | import', why: 'not yet' },
  { command: 'cfy user-groups …', why: 'user groups are premium' },
  { command: 'cfy tenants add-group | update-group | remove-group', why: 'user groups are premium' },
  { command: 'cfy license check | remove | environments', why: 'HEAD additions' },
  { command: 'cfy cluster db-nodes update', why: 'DB node management' },
  {
    command:
      'cfy plugins validate | bundle-upload | install | update | history | get-update | set-global | set-visibility',
    why: 'Python plugins are stored and imported by blueprints, not installed or run',
  },
  { command: 'cfy agents install | validate', why: 'host agents are not served yet' },
  { command: 'cfy workflows list | get', why: 'not yet' },
  { command: 'cfy groups list', why: 'not yet' },
  { command: 'cfy ldap set | status', why: 'premium' },
  { command: 'cfy logs download | backup | purge, cfy ssh', why: 'SSH-based helpers' },
  { command: 'cfy ssl status | enable | disable, cfy certificates …', why: 'certificate rotation' },
];
