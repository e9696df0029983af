// Option (b) of the TLS benchmark: Debian's nginx terminating TLS and proxying to the manager on
// 127.0.0.1, with the settings of Cloudify's nginx.conf and manager.upstream that bear on speed
// (TLS 1.2+, HSTS, proxy headers, 330 s timeouts), worker_processes auto, and an upstream keep-alive
// pool (Cloudify's proxy opens a connection per request; the pool is nginx's best case). No access
// log, as the manager logs no requests either.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { start } from './procs.js';

export function ensureNginx(): void {
  if (spawnSync('nginx', ['-v']).error === undefined) return;
  if (process.getuid?.() !== 0) throw new Error('nginx is not installed: apt-get install nginx-light');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  const r = spawnSync('apt-get', ['install', '-y', '-qq', 'nginx-light'], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error('apt-get install nginx-light failed');
}

export function nginxConf(dir: string, port: number, upstream: number, cert: string, key: string): string {
  return `worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  server_tokens off;
  access_log off;
  ssl_protocols TLSv1.2 TLSv1.3;
  keepalive_timeout 65;
  proxy_connect_timeout 330s;
  proxy_send_timeout 330s;
  proxy_read_timeout 330s;
  client_max_body_size 0;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  upstream cloudify-rest {
    server 127.0.0.1:${upstream};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port} ssl http2 default_server;
    server_name _;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
    location / {
      proxy_pass http://cloudify-rest;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`;
}

/** nginx in the foreground (daemon off), so the child is the master and stop() is by its PID. */
export function startNginx(
  dir: string,
  port: number,
  upstream: number,
  cert: string,
  key: string,
): ChildProcess {
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, port, upstream, cert, key));
  const args = ['-e', join(dir, 'error.log'), '-p', dir, '-c', conf, '-g', 'daemon off; user www-data;'];
  return start('nginx', args, join(dir, 'nginx.out'));
}
