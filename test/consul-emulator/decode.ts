// Request bodies of the agent write endpoints, decoded and validated the way
// the Consul agent does: field names match case-insensitively and in
// snake_case, unknown fields are ignored, a wrong JSON type or a bad duration
// is a 400 "Request decode failed: …", semantic problems have Consul's words.

import { parseGoDuration } from "./duration.js";

export type CheckStatus = "passing" | "warning" | "critical";
export const STATUSES: readonly CheckStatus[] = ["passing", "warning", "critical"];

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CheckDef {
  checkId: string;
  name: string;
  notes: string;
  status: CheckStatus | "";
  serviceId: string;
  type: string;
  ttlMs: number;
  interval: string;
  timeout: string;
}

export interface ServiceDef {
  id: string;
  name: string;
  kind: string;
  tags: string[] | null;
  address: string;
  port: number;
  meta: Record<string, string> | null;
  taggedAddresses: Record<string, { Address: string; Port: number }> | null;
  weights: { Passing: number; Warning: number };
  enableTagOverride: boolean;
  checks: CheckDef[];
  /** Proxy.* of a connect-proxy registration (Destination…, LocalService…); null otherwise. */
  proxy: ProxyFields | null;
  /** Connect.SidecarService: every field optional, defaults applied at registration. */
  sidecar: ServiceDef | null;
}

export interface ProxyFields {
  DestinationServiceName: string;
  DestinationServiceID: string;
  LocalServiceAddress: string;
  LocalServicePort: number;
}

type Obj = Record<string, unknown>;
const canon = (k: string) => k.replace(/_/g, "").toLowerCase();

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === true || v === false) return "bool";
  return typeof v === "object" ? "object" : typeof v;
}

/** Reads one JSON object's fields as Go's encoding/json would into a struct. */
class Fields {
  private readonly map = new Map<string, unknown>();
  constructor(
    obj: Obj,
    private readonly struct: string,
  ) {
    for (const [k, v] of Object.entries(obj)) if (v !== null) this.map.set(canon(k), v);
  }
  private fail(field: string, v: unknown, goType: string): never {
    const what = jsonKind(v) === "number" ? `number ${String(v)}` : jsonKind(v);
    throw new HttpError(400, `Request decode failed: json: cannot unmarshal ${what} into Go struct field ${this.struct}.${field} of type ${goType}`);
  }
  private get(field: string, ...aliases: string[]): unknown {
    for (const name of [field, ...aliases]) {
      const v = this.map.get(canon(name));
      if (v !== undefined) return v;
    }
    return undefined;
  }
  str(field: string, ...aliases: string[]): string {
    const v = this.get(field, ...aliases);
    if (v === undefined) return "";
    return typeof v === "string" ? v : this.fail(field, v, "string");
  }
  int(field: string): number | undefined {
    const v = this.get(field);
    if (v === undefined) return undefined;
    return typeof v === "number" && Number.isInteger(v) ? v : this.fail(field, v, "int");
  }
  bool(field: string): boolean {
    const v = this.get(field);
    if (v === undefined) return false;
    return typeof v === "boolean" ? v : this.fail(field, v, "bool");
  }
  strList(field: string, ...aliases: string[]): string[] | null {
    const v = this.get(field, ...aliases);
    if (v === undefined) return null;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) return this.fail(field, v, "[]string");
    return [...(v as string[])];
  }
  strMap(field: string): Record<string, string> | null {
    const v = this.get(field);
    if (v === undefined) return null;
    if (jsonKind(v) !== "object" || !Object.values(v as Obj).every((x) => typeof x === "string")) {
      return this.fail(field, v, "map[string]string");
    }
    return { ...(v as Record<string, string>) };
  }
  obj(field: string): Obj | undefined {
    const v = this.get(field);
    if (v === undefined) return undefined;
    return jsonKind(v) === "object" ? (v as Obj) : this.fail(field, v, "struct");
  }
  list(field: string): unknown[] | undefined {
    const v = this.get(field);
    if (v === undefined) return undefined;
    return Array.isArray(v) ? v : this.fail(field, v, "[]struct");
  }
  /** A duration: Go accepts a string ("10s") or a number of nanoseconds. */
  duration(field: string): number {
    const v = this.get(field);
    if (v === undefined) return 0;
    if (typeof v === "number") return v / 1e6;
    if (typeof v !== "string") return this.fail(field, v, "time.Duration");
    const ms = parseGoDuration(v);
    if (ms === undefined) throw new HttpError(400, `Request decode failed: time: invalid duration "${v}"`);
    return ms;
  }
  raw(field: string): unknown {
    return this.get(field);
  }
}

/** Parses a request body as one JSON object (Go's decoder answers EOF to nothing). */
export function parseBody(text: string, goType: string): Obj {
  if (text.trim() === "") throw new HttpError(400, "Request decode failed: EOF");
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `Request decode failed: ${(e as Error).message}`);
  }
  if (jsonKind(v) !== "object") {
    throw new HttpError(400, `Request decode failed: json: cannot unmarshal ${jsonKind(v)} into Go value of type ${goType}`);
  }
  return v as Obj;
}

function formatMs(ms: number): string {
  if (ms <= 0) return "";
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h0m0s`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m0s`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const INTERVAL_KINDS = ["Args", "HTTP", "TCP", "UDP", "GRPC", "H2PING", "OSService"] as const;

/** One check definition (a service's Check/Checks entry or /agent/check/register). */
export function decodeCheck(obj: Obj, struct: string, standalone: boolean): CheckDef {
  const f = new Fields(obj, struct);
  const name = f.str("Name");
  const checkId = standalone ? f.str("ID", "CheckID") : f.str("CheckID");
  const status = f.str("Status");
  const ttlMs = f.duration("TTL");
  const intervalMs = f.duration("Interval");
  const timeoutMs = f.duration("Timeout");
  const args = f.strList("Args", "ScriptArgs");
  const kinds: Record<string, unknown> = {
    Args: args && args.length > 0 ? args : undefined,
    HTTP: f.str("HTTP") || undefined,
    TCP: f.str("TCP") || undefined,
    UDP: f.str("UDP") || undefined,
    GRPC: f.str("GRPC") || undefined,
    H2PING: f.str("H2PING") || undefined,
    OSService: f.str("OSService") || undefined,
  };
  const alias = f.str("AliasService") || f.str("AliasNode");
  const intervalCheck = INTERVAL_KINDS.some((k) => kinds[k] !== undefined);
  let problem = "";
  if (intervalMs > 0 && ttlMs > 0) problem = "Interval and TTL cannot both be specified";
  else if (intervalCheck && intervalMs <= 0) problem = "Interval must be > 0 for Script, HTTP, H2PING, TCP, UDP or OSService checks";
  else if (intervalCheck && alias) problem = "Interval cannot be set for Alias checks";
  else if (alias && ttlMs > 0) problem = "TTL must be not be set for Alias checks";
  else if (!intervalCheck && !alias && ttlMs <= 0) problem = "TTL must be > 0 for TTL checks";
  if (problem) throw new HttpError(400, `Invalid check: ${problem}`);
  if (status !== "" && !STATUSES.includes(status as CheckStatus)) {
    throw new HttpError(400, standalone ? "Bad check status" : "Status for checks must 'passing', 'warning', 'critical'");
  }
  const type = kinds.GRPC ? "grpc" : kinds.HTTP ? "http" : ttlMs > 0 ? "ttl" : kinds.TCP ? "tcp" : kinds.UDP ? "udp"
    : alias ? "alias" : kinds.Args ? (f.str("DockerContainerID") ? "docker" : "script") : kinds.H2PING ? "h2ping" : "os_service";
  return {
    checkId,
    name,
    notes: f.str("Notes"),
    status: status as CheckStatus | "",
    serviceId: f.str("ServiceID"),
    type,
    ttlMs,
    interval: formatMs(intervalMs),
    timeout: formatMs(timeoutMs),
  };
}

const META_KEY = /^[a-zA-Z0-9_-]+$/;

function validateMeta(meta: Record<string, string> | null): void {
  const entries = Object.entries(meta ?? {});
  const bad = (why: string) => new HttpError(400, `Invalid Service Meta: ${why}`);
  if (entries.length > 64) throw bad("Node metadata cannot contain more than 64 key/value pairs");
  for (const [k, v] of entries) {
    if (k === "") throw bad("Key cannot be blank");
    if (!META_KEY.test(k)) throw bad(`Key contains invalid characters: ${k}`);
    if (k.length > 128) throw bad(`Key is too long (limit: 128 characters): ${k}`);
    if (k.startsWith("consul-")) throw bad(`Key prefix 'consul-' is reserved for internal use: ${k}`);
    if (v.length > 512) throw bad(`Value is too long (limit: 512 characters): ${k}`);
  }
}

const ANY_ADDRESS = new Set(["0.0.0.0", "::", "[::]"]);

/** The body of PUT /v1/agent/service/register (nested: a Connect.SidecarService, whose name may be empty). */
export function decodeService(obj: Obj, nested = false): ServiceDef {
  const f = new Fields(obj, "ServiceDefinition");
  const name = f.str("Name");
  const id = f.str("ID") || name;
  const port = f.int("Port") ?? 0;
  const address = f.str("Address");
  const tags = f.strList("Tags");
  const meta = f.strMap("Meta");
  const weightsObj = f.obj("Weights");
  const tagged = f.obj("TaggedAddresses");
  const checkObj = f.obj("Check");
  const checkList = f.list("Checks") ?? [];
  const enableTagOverride = f.bool("EnableTagOverride");
  const kind = f.str("Kind");
  const connect = f.obj("Connect");
  const proxyObj = f.obj("Proxy");
  if (name === "" && !nested) throw new HttpError(400, "Missing service name");
  if (ANY_ADDRESS.has(address)) throw new HttpError(400, "Invalid service address");
  let weights = { Passing: 1, Warning: 1 };
  if (weightsObj) {
    const w = new Fields(weightsObj, "Weights");
    weights = { Passing: w.int("Passing") ?? 0, Warning: w.int("Warning") ?? 0 };
    if (weights.Passing < 1) throw new HttpError(400, "Invalid Weights: Passing must be greater than 0");
    if (weights.Warning < 0) throw new HttpError(400, "Invalid Weights: Warning must be greater or equal than 0");
  }
  validateMeta(meta);
  if (port < 0 || port > 65535) throw new HttpError(400, `Validation failed: invalid port ${port}`);
  let taggedAddresses: ServiceDef["taggedAddresses"] = null;
  if (tagged) {
    taggedAddresses = {};
    for (const [k, v] of Object.entries(tagged)) {
      if (jsonKind(v) !== "object") throw new HttpError(400, `Request decode failed: json: cannot unmarshal ${jsonKind(v)} into Go struct field ServiceDefinition.TaggedAddresses of type structs.ServiceAddress`);
      const t = new Fields(v as Obj, "ServiceAddress");
      taggedAddresses[k] = { Address: t.str("Address"), Port: t.int("Port") ?? 0 };
    }
  }
  const raw: unknown[] = [];
  if (checkObj && Object.keys(checkObj).length > 0) raw.push(checkObj);
  raw.push(...checkList);
  const checks = raw.map((c) => {
    if (jsonKind(c) !== "object") throw new HttpError(400, `Request decode failed: json: cannot unmarshal ${jsonKind(c)} into Go struct field ServiceDefinition.Checks of type structs.CheckType`);
    return decodeCheck(c as Obj, "CheckType", false);
  });
  let sidecar: ServiceDef | null = null;
  const sidecarObj = connect && new Fields(connect, "ServiceConnect").obj("SidecarService");
  if (sidecarObj) {
    if (nested) throw new HttpError(400, "Invalid SidecarService: SidecarService cannot have a nested SidecarService");
    sidecar = decodeService(sidecarObj, true);
  }
  let proxy: ProxyFields | null = null;
  if (proxyObj) {
    const p = new Fields(proxyObj, "ConnectProxyConfig");
    proxy = {
      DestinationServiceName: p.str("DestinationServiceName"),
      DestinationServiceID: p.str("DestinationServiceID"),
      LocalServiceAddress: p.str("LocalServiceAddress"),
      LocalServicePort: p.int("LocalServicePort") ?? 0,
    };
  }
  return { id: nested ? f.str("ID") : id, name, kind, tags, address, port, meta, taggedAddresses, weights, enableTagOverride, checks, proxy, sidecar };
}

/** The body of PUT /v1/agent/check/update/:check_id. */
export function decodeCheckUpdate(obj: Obj): { status: CheckStatus; output: string } {
  const f = new Fields(obj, "checkUpdate");
  const status = f.str("Status");
  if (!STATUSES.includes(status as CheckStatus)) throw new HttpError(400, `Invalid check status: '${status}'`);
  return { status: status as CheckStatus, output: f.str("Output") };
}
