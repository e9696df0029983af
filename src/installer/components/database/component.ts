// PostgresqlServer (database_service): a single PostgreSQL node, or a Patroni/etcd cluster member when
// postgresql_server.cluster.nodes is set.
import { existsSync, rmSync } from 'node:fs';
import { isDbCluster } from '../../config/derive.js';
import {
  DB_CLUSTER_LOG_DIR,
  ETCD_CONF,
  ETCD_DATA,
  ETCD_DIR,
  PATRONI_CONF,
  PATRONI_DIR,
  PG_DATA,
} from '../../paths.js';
import * as supervisor from '../../services/supervisor.js';
import type { PackageSpec } from '../../services/apt.js';
import type { Component } from '../types.js';
import { configureCluster, emptyDir } from './cluster.js';
import { configureSingle, SINGLE_PROGRAM } from './single.js';

const programs = (cluster: boolean) => (cluster ? ['etcd', 'patroni'] : [SINGLE_PROGRAM]);

export const postgresqlServer: Component = {
  name: 'postgresqlserver',
  service: 'database_service',
  packages(ctx) {
    const pkgs: PackageSpec[] = [{ name: 'postgresql-15', version: '15.' }];
    if (isDbCluster(ctx.config)) {
      pkgs.push(
        { name: 'etcd-server', version: '3.4.' },
        { name: 'etcd-client', version: '3.4.' },
        { name: 'patroni', version: '3.' },
        // urllib3 needs it for https with a host name; only a Suggests of python3-urllib3 on Debian 12.
        { name: 'python3-idna' },
      );
    }
    return pkgs;
  },
  async configure(ctx) {
    if (isDbCluster(ctx.config)) {
      await supervisor.removeProgram(SINGLE_PROGRAM);
      await configureCluster(ctx.config, ctx.log);
    } else {
      await configureSingle(ctx.config, ctx.log);
    }
  },
  async start(ctx) {
    // Patroni stops PostgreSQL; etcd goes first so that Patroni finds its DCS.
    for (const p of programs(isDbCluster(ctx.config))) await supervisor.restart(p);
  },
  async stop(ctx) {
    for (const p of programs(isDbCluster(ctx.config)).reverse()) await supervisor.stop(p);
  },
  async remove(ctx) {
    for (const p of ['patroni', 'etcd', SINGLE_PROGRAM]) await supervisor.removeProgram(p);
    emptyDir(PATRONI_DIR);
    emptyDir(ETCD_DATA);
    for (const f of [PATRONI_CONF, ETCD_CONF]) rmSync(f, { force: true });
    emptyDir(ETCD_DIR);
    if (existsSync(PG_DATA)) rmSync(PG_DATA, { recursive: true, force: true });
    rmSync(DB_CLUSTER_LOG_DIR, { recursive: true, force: true });
    ctx.log.info('Removed PostgreSQL, Patroni and etcd data and configuration');
  },
};
