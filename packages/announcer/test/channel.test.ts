import { describe, expect, it } from "vitest";
import { ExaBgpChannel, classifyLine } from "../src/channel.js";

// Real commands (the channel writes only what the command grammar accepts).
const route = (n: number, verb = "announce") => `${verb} route 10.0.0.${n}/32 next-hop self`;
const A = route(1);
const B = route(2);
const C = route(3);
const D = route(4);
const X1 = route(11);
const X2 = route(12);
const Y1 = route(21);
const WX = route(11, "withdraw");

describe("classifyLine", () => {
  it("acks", () => {
    expect(classifyLine("done")).toEqual({ kind: "ack", ok: true });
    expect(classifyLine("error")).toEqual({ kind: "ack", ok: false });
    expect(classifyLine("done\r")).toEqual({ kind: "ack", ok: true });
  });

  it("shutdown: the text encoder's line, the bare answer, and the JSON notification", () => {
    expect(classifyLine("shutdown 4242 1")).toEqual({ kind: "shutdown", api: 4 });
    expect(classifyLine("shutdown")).toEqual({ kind: "shutdown" });
    expect(classifyLine('{"exabgp": "5.0.0", "time": 1.0, "host": "h", "pid": 1, "ppid": 1, "counter": 3, "type": "notification", "notification": "shutdown"}')).toEqual({
      kind: "shutdown",
      api: 4,
    });
  });

  it("text neighbor events, as ExaBGP 4.2's text encoder writes them", () => {
    expect(classifyLine("neighbor 127.0.0.1 up")).toEqual({ kind: "neighbor", address: "127.0.0.1", state: "up", api: 4 });
    expect(classifyLine("neighbor 127.0.0.1 connected")).toEqual({ kind: "neighbor", address: "127.0.0.1", state: "connected", api: 4 });
    expect(classifyLine("neighbor 2001:db8::1 down - peer reset, message [closing connection] error[the TCP connection was closed by the remote end]")).toEqual({
      kind: "neighbor",
      address: "2001:db8::1",
      state: "down",
      api: 4,
    });
  });

  it("JSON neighbor state events", () => {
    const line =
      '{ "exabgp": "4.0.1", "time": 1795327079.0, "host" : "h", "pid" : 1, "ppid" : 1, "counter": 1, "type": "state", "neighbor": { "address": { "local": "127.0.0.2", "peer": "127.0.0.1" }, "asn": { "local": 65000, "peer": 64999 } , "state": "up" } }';
    expect(classifyLine(line)).toEqual({ kind: "neighbor", address: "127.0.0.1", state: "up", api: 4 });
  });

  it("everything else is other: never an ack, never a neighbor up", () => {
    for (const l of [
      "neighbor 127.0.0.1 receive update announced 10.0.0.0/24 next-hop 192.0.2.2",
      "neighbor 127.0.0.1 up - something",
      "neighbor 127.0.0.1 upup",
      "donе",
      "done done",
      "errors",
      "shutdown now",
      "{not json",
      '{"type": "update"}',
      "",
    ]) {
      expect(classifyLine(l), l).toEqual({ kind: "other" });
    }
  });
});

describe("ExaBgpChannel with acks", () => {
  it("writes one command, then the next only after its answer", () => {
    const ch = new ExaBgpChannel({ ack: true, ackTimeout: 5000 });
    expect(ch.send("a", A, 0)).toEqual([A]);
    expect(ch.send("b", B, 1)).toEqual([]);
    expect(ch.send("c", C, 2)).toEqual([]);
    expect(ch.waitingForAck?.line).toBe(A);
    const r = ch.ack(true, 10);
    expect(r.command?.line).toBe(A);
    expect(r.writes).toEqual([B]);
    expect(ch.ack(false, 11)).toMatchObject({ ok: false, command: { line: B }, writes: [C] });
    expect(ch.ack(true, 12).writes).toEqual([]);
    expect(ch.idle).toBe(true);
  });

  it("keeps one queued command per route: the newest", () => {
    const ch = new ExaBgpChannel({ ack: true, ackTimeout: 5000 });
    ch.send("x", X1, 0);
    ch.send("y", Y1, 0);
    ch.send("x", WX, 0);
    ch.send("x", X2, 0);
    expect(ch.ack(true, 1).writes).toEqual([Y1]);
    expect(ch.ack(true, 2).writes).toEqual([X2]);
    // Two were queued, no more: X1 and WX were replaced.
    expect(ch.ack(true, 3).writes).toEqual([]);
    expect(ch.idle).toBe(true);
  });

  it("an answer that does not come within the timeout is given up on (once ExaBGP has answered before)", () => {
    const ch = new ExaBgpChannel({ ack: true, ackTimeout: 5000 });
    ch.send("d", D, 0);
    ch.ack(true, 10);
    ch.send("a", A, 1000);
    ch.send("b", B, 1000);
    expect(ch.deadline()).toBe(6000);
    expect(ch.expire(5999)).toEqual({ expired: null, acksOff: false, writes: [] });
    const r = ch.expire(6000);
    expect(r.expired?.line).toBe(A);
    expect(r.acksOff).toBe(false);
    expect(r.writes).toEqual([B]);
    expect(ch.deadline()).toBe(11000);
  });

  it("an ack with nothing in flight is reported as such", () => {
    const ch = new ExaBgpChannel({ ack: true, ackTimeout: 5000 });
    expect(ch.ack(true, 0)).toEqual({ command: null, ok: true, retried: false, writes: [] });
  });

  it("abandonAcks writes everything at once and stops waiting", () => {
    const ch = new ExaBgpChannel({ ack: true, ackTimeout: 5000 });
    ch.send("a", A, 0);
    ch.send("b", B, 0);
    ch.send("c", C, 0);
    expect(ch.abandonAcks()).toEqual([B, C]);
    expect(ch.idle).toBe(true);
    expect(ch.send("d", D, 0)).toEqual([D]);
  });
});

describe("ExaBgpChannel without acks", () => {
  it("writes at once and never waits", () => {
    const ch = new ExaBgpChannel({ ack: false, ackTimeout: 5000 });
    expect(ch.send("a", A, 0)).toEqual([A]);
    expect(ch.send("a", route(5), 0)).toEqual([route(5)]);
    expect(ch.deadline()).toBeNull();
    expect(ch.idle).toBe(true);
  });
});
