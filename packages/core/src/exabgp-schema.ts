// zod schemas of ExaBGP's JSON API messages, format "4.0.1" as ExaBGP 4.2
// writes them (5.x keeps these shapes for the fields read here).
//
// Objects are not strict: ExaBGP adds fields between versions (host, pid,
// counter, negotiated…) and a listener must not break on them. Known fields
// with the wrong type are errors, though: a community that is not a pair of
// 16-bit integers must not be guessed at.

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

export const AttributesSchema = z.object({
  origin: z.string().optional(),
  "as-path": z.array(u32).optional(),
  "as-set": z.array(u32).optional(),
  med: u32.optional(),
  "local-preference": u32.optional(),
  community: z.array(z.tuple([u16, u16])).optional(),
  "large-community": z.array(z.tuple([u32, u32, u32])).optional(),
  "extended-community": z.array(z.object({ value: z.number().optional(), string: z.string().optional() })).optional(),
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
 * validated here: the parser skips them.
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
