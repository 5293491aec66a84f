// zod schemas of ExaBGP's JSON API messages, the shapes of every ExaBGP
// exacast supports:
//   - 4.2 writes `"exabgp": "4.0.1"`;
//   - 5.0 writes `"exabgp": "5.0.0"`;
//   - 6 (ExaBGP's main branch) writes `"exabgp": "6.0.0"` with its default
//     API v6, and `"exabgp": "4.0.1"` with exabgp.api.version=4.
// They are not the same shapes: 5.0 and 6 (with either API) write `as-path`
// as an object of segments, `{"0": {"element": "as-sequence", "value":
// [65000]}}`, where 4.2 writes a list of the sequence's ASNs; 5.0 and 6 add
// `router-id` to the neighbor, and 6 a `negotiated` object. Captures of each
// are in test/fixtures/.
//
// Objects are not strict: ExaBGP adds fields between versions (host, pid,
// counter, negotiated…) and a listener must not break on them. Fields the
// listener decides on (prefixes, next-hops, path ids, communities, MED,
// LOCAL_PREF) with the wrong type make the message an error: a community
// that is not a pair of 16-bit integers must not be guessed at. Attributes
// it only carries (origin, AS path, AS set, large and extended communities)
// are read apart (SoftAttributeSchemas): a shape not known leaves that
// attribute out and is reported with its path, the route is kept.

import { z } from "zod";

const u16 = z.number().int().min(0).max(0xffff);
const u32 = z.number().int().min(0).max(0xffffffff);

export const AddressPairSchema = z.object({ local: z.string(), peer: z.string() });

export const NeighborSchema = z.object({
  address: AddressPairSchema,
  asn: z.object({ local: u32, peer: u32 }).partial().optional(),
  direction: z.string().optional(),
  state: z.string().optional(),
  reason: z.string().optional(),
  message: z.unknown().optional(),
  notification: z.unknown().optional(),
});

/** The kinds of AS path segment (RFC 4271, RFC 5065), as 5.0 and 6 name them. */
export const AS_PATH_SEGMENTS = ["as-sequence", "as-set", "as-confed-sequence", "as-confed-set"] as const;

/** A segment key: the segment's position, a canonical decimal integer. */
const SEGMENT_KEY = /^(?:0|[1-9]\d{0,8})$/;

/**
 * `as-path`: 4.2's list of the sequence's ASNs, or 5.0/6's segments by
 * position. Either way, what exacast keeps is the sequence: the ASNs of the
 * `as-sequence` segments in order (4.2 writes sets apart, in `as-set`).
 */
export const AsPathSchema = z
  .union([
    z.array(u32),
    z.record(z.string().regex(SEGMENT_KEY, "expected a segment position"), z.object({ element: z.enum(AS_PATH_SEGMENTS), value: z.array(u32) })),
  ])
  .transform((v): number[] => (Array.isArray(v) ? v : Object.values(v).flatMap((s) => (s.element === "as-sequence" ? s.value : []))));

/** The attributes exacast carries but decides nothing on; each is read on its own. */
export const SoftAttributeSchemas = {
  origin: z.string(),
  "as-path": AsPathSchema,
  "as-set": z.array(u32),
  "large-community": z.array(z.tuple([u32, u32, u32])),
  "extended-community": z
    .array(z.object({ value: z.number().optional(), string: z.string().optional() }))
    .transform((list) => list.map((e) => e.string ?? String(e.value ?? ""))),
} as const;

export type SoftAttribute = keyof typeof SoftAttributeSchemas;

export const AttributesSchema = z.object({
  med: u32.optional(),
  "local-preference": u32.optional(),
  community: z.array(z.tuple([u16, u16])).optional(),
  // Read by exabgp-attributes.ts against SoftAttributeSchemas.
  origin: z.unknown().optional(),
  "as-path": z.unknown().optional(),
  "as-set": z.unknown().optional(),
  "large-community": z.unknown().optional(),
  "extended-community": z.unknown().optional(),
});

/** `{ "nlri": "10.0.0.1/32", "path-information": "0.0.0.1" }`, or a bare prefix with exabgp.api.compact. */
export const NlriSchema = z.union([
  z.string(),
  z.object({ nlri: z.string(), "path-information": z.string().optional() }),
]);

/** One unicast family of `announce`: next-hop → NLRIs. */
export const AnnounceFamilySchema = z.record(z.string(), z.array(NlriSchema));
/** One unicast family of `withdraw`: NLRIs. */
export const WithdrawFamilySchema = z.array(NlriSchema);

/**
 * `announce` is family → next-hop → NLRIs, `withdraw` family → NLRIs. Families
 * other than unicast (flowspec, evpn…) have other NLRI shapes and are not
 * validated here: the parser reports them as not read.
 */
export const UpdateSchema = z.object({
  attribute: AttributesSchema.optional(),
  announce: z.record(z.string(), z.unknown()).optional(),
  withdraw: z.record(z.string(), z.unknown()).optional(),
});

export const EorSchema = z.object({ afi: z.string(), safi: z.string() });

export const UpdateMessageSchema = z.object({
  update: UpdateSchema.optional(),
  eor: EorSchema.optional(),
});

export const NotificationSchema = z.object({
  code: u16,
  subcode: u16,
  data: z.string().optional(),
  message: z.string().optional(),
});

/** The envelope every message shares. `type` decides how `neighbor` is read. */
export const EnvelopeSchema = z.object({
  exabgp: z.string(),
  type: z.string(),
  time: z.number().optional(),
  counter: z.number().optional(),
  neighbor: z.unknown().optional(),
  notification: z.unknown().optional(),
});

export type Envelope = z.infer<typeof EnvelopeSchema>;
export type NeighborJson = z.infer<typeof NeighborSchema>;
export type AttributesJson = z.infer<typeof AttributesSchema>;
export type UpdateJson = z.infer<typeof UpdateSchema>;
export type NlriJson = z.infer<typeof NlriSchema>;
