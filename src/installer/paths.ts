// Every fixed path the installer writes, in one place (reference §3.3, §8, §9.1). Debian layout: where
// Cloudify used /var/lib/pgsql/14 or /etc/patroni.conf we use paths that a lab node keeps private
// (see docs/installer.md, "Paths").
export const CLOUDIFY_DIR = '/etc/cloudify';
export const DEFAULT_CONFIG = '/etc/cloudify/config.yaml';
export const INSTALLED_DIR = '/etc/cloudify/.installed';
export const CONFIGURED_DIR = '/etc/cloudify/.configured';
export const SSL_DIR = '/etc/cloudify/ssl';
export const LOG_DIR_ROOT = '/var/log/cloudify/manager';
export const LOG_FILE_NAME = 'cfy_manager.log';
export const SUPERVISORD_DIR = '/etc/supervisord.d';
export const METADATA_FILE = '/etc/cloudify/metadata.json';

export const PG_VERSION = '15';
export const PG_BIN = `/usr/lib/postgresql/${PG_VERSION}/bin`;
/** Single-node PostgreSQL (Cloudify: /var/lib/pgsql/14/data). */
export const PG_DATA = `/var/lib/postgresql/${PG_VERSION}/cloudify`;
export const PG_SOCKET_DIR = '/run/postgresql';

export const ETCD_DIR = '/etc/etcd';
export const ETCD_CONF = '/etc/etcd/etcd.conf';
export const ETCD_DATA = '/var/lib/etcd';
export const ETCD_CERT = '/etc/etcd/etcd.crt';
export const ETCD_KEY = '/etc/etcd/etcd.key';
export const ETCD_CA = '/etc/etcd/ca.crt';

export const PATRONI_DIR = '/var/lib/patroni';
/** Cloudify: /etc/patroni.conf. Ours lives in /etc/patroni so that each lab node has its own. */
export const PATRONI_CONF = '/etc/patroni/patroni.yml';
export const PATRONI_DATA = '/var/lib/patroni/data';
export const PATRONI_BASE_CONF = '/var/lib/patroni/pg_patroni_base.conf';
export const PATRONI_REST_CERT = '/var/lib/patroni/rest.crt';
export const PATRONI_REST_KEY = '/var/lib/patroni/rest.key';
export const PATRONI_DB_CERT = '/var/lib/patroni/db.crt';
export const PATRONI_DB_KEY = '/var/lib/patroni/db.key';
export const PATRONI_CA = '/var/lib/patroni/ca.crt';
export const DB_CLUSTER_LOG_DIR = '/var/log/cloudify/db_cluster';

/** Debian's python, which sees Debian's patroni modules (the python3 on PATH may be pyenv's). */
export const SYSTEM_PYTHON = '/usr/bin/python3';
