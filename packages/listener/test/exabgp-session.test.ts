// ExaBGP's lines that are not routes but serve re-learning them: answers,
// negotiated capabilities, route-refresh markers. Routes' lines pass by.

import { describe, expect, it } from "vitest";
import { apiOfJsonVersion, sessionLine } from "../src/exabgp-session.js";
import { announce, state } from "./exa-lines.js";

// As ExaBGP 4.2.21 wrote them under a test (api { negotiated; receive { refresh; } }).
const NEGOTIATED = `{ "exabgp": "4.0.1", "time": 1796406516.0559747, "host" : "vm", "pid" : 22954, "ppid" : 22629, "counter": 3, "type": "negotiated", "neighbor": { "address": { "local": "127.107.133.3", "peer": "127.107.133.1" }, "asn": { "local": 65001, "peer": 64999 } , "negotiated": { "message_size": 4096, "hold_time": 9, "asn4": true, "multisession": false, "operational": false, "refresh": "normal", "families": [ "ipv4 unicast" ,"ipv6 unicast" ], "nexthop": [  ], "add_path": { "send": [  ], "receive": [  ] } }  } }`;
const EORR = `{ "exabgp": "4.0.1", "time": 1796406517.1, "host" : "vm", "pid" : 22954, "ppid" : 22629, "counter": 9, "type": "refresh", "neighbor": { "address": { "local": "127.0.0.3", "peer": "127.0.0.2" }, "asn": { "local": 65001, "peer": 65000 } , "direction": "receive", "route-refresh": { "afi": "ipv4", "safi": "unicast", "subtype": "end" } } }`;

describe("ExaBGP session lines", () => {
  it("reads answers, negotiated capabilities and route-refresh markers", () => {
    expect(sessionLine("done")).toEqual({ kind: "ack", answer: "done" });
    expect(sessionLine("error")).toEqual({ kind: "ack", answer: "error" });
    expect(sessionLine('{ "answer": "done", "message": "command completed" }')).toEqual({ kind: "ack", answer: "done" });
    expect(sessionLine(NEGOTIATED)).toEqual({ kind: "negotiated", neighbor: "127.107.133.1", refresh: "normal", families: ["ipv4 unicast", "ipv6 unicast"], version: "4.0.1" });
    expect(sessionLine(EORR)).toEqual({ kind: "refresh", neighbor: "127.0.0.2", family: "ipv4 unicast", subtype: "end" });
  });

  it("passes routes and session states to the RIB; a broken one of its own types is said, not thrown", () => {
    expect(sessionLine(announce({ prefixes: ["10.0.0.1/32"], communities: [[12345, 80]] }))).toBeUndefined();
    expect(sessionLine(state("up"))).toBeUndefined();
    expect(sessionLine("donee")).toBeUndefined();
    expect(sessionLine(NEGOTIATED.replace('"peer": "127.107.133.1"', '"peer": "nope"'))).toMatchObject({ kind: "bad" });
    expect(sessionLine(EORR.slice(0, -3))).toMatchObject({ kind: "bad" });
  });

  it("knows ExaBGP 6's own API by its JSON version", () => {
    expect([apiOfJsonVersion("4.0.1"), apiOfJsonVersion("5.0.0"), apiOfJsonVersion("6.0.0")]).toEqual([4, 4, 6]);
  });
});
