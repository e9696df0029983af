// Response bodies of the cluster registry (rest-api.md §1.1, §4.2): every field optional, so _include can project.
import { Type } from 'typebox';
import { Any, Bool, Int, NStr, resource, Str } from './common.js';

export const ManagerBody = resource({
  id: Int,
  hostname: Str,
  private_ip: Str,
  public_ip: Str,
  version: Str,
  edition: Str,
  distribution: Str,
  distro_release: Str,
  fs_sync_node_id: NStr,
  networks: Any,
  last_seen: Str,
  status_report_frequency: Type.Union([Int, Type.Null()]),
  ca_cert_content: NStr,
});

export const BrokerBody = resource({
  name: Str,
  host: Str,
  management_host: NStr,
  port: Type.Union([Int, Type.Null()]),
  username: NStr,
  password: NStr,
  params: Any,
  networks: Any,
  is_external: Bool,
  ca_cert_content: NStr,
});

export const DbNodeBody = resource({ name: Str, node_id: Str, host: Str, is_external: Bool });

export const ClusterBody = Type.Object({
  status: Type.String(),
  services: Type.Record(Type.String(), Type.Any()),
});
