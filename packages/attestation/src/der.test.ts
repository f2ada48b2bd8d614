import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import * as der from "./der.js";
import { isAttestationError } from "./errors.js";
import { isRaTlsError } from "./ratls/errors.js";
import {
  buildCertificate,
  parseCertificate as parseRaTlsCertificate,
  spkiPublicKeyBits,
} from "./ratls/x509.js";
import { parseCertificate } from "./verify/certificate.js";

const malformed = (e: unknown): boolean => isAttestationError(e, "MALFORMED_EVIDENCE");
const certMalformed = (e: unknown): boolean => isRaTlsError(e, "CERT_MALFORMED");

const hex = (s: string): Buffer => Buffer.from(s, "hex");

test("the reader refuses truncated, oversized, indefinite, non-minimal and trailing encodings", () => {
  const refused = [
    "", // no header
    "30", // header truncated
    "3003020101ff", // trailing byte
    "30040201", // content runs past the input
    "30800201010000", // indefinite length
    "3081030201ff", // long form for a length under 128
    "308200030201ff", // leading zero length byte
    "3085000000000102", // length field wider than four bytes
    "3082", // length field truncated
    "3084ffffffff", // length far past the input
    "1f0100", // high tag number
    "3003020201", // child overruns its container
  ];
  for (const h of refused) {
    assert.throws(
      () => {
        const top = der.parseDer(hex(h), "test");
        if (top.tag & 0x20) der.children(top, "test");
      },
      malformed,
      h,
    );
  }
  const ok = der.parseDer(hex("3003020105"), "test");
  assert.equal(der.decodeSmallUint(der.children(ok, "test")[0]!, "test"), 5);
  const long = der.seq(Buffer.alloc(200));
  assert.equal(der.parseDer(long, "test").contentStart, 3);
});

test("reads stay inside the given limit", () => {
  const bytes = der.seq(der.integer(1), der.integer(2));
  assert.throws(() => der.readTlv(bytes, -1, bytes.length, "test"), malformed);
  assert.throws(() => der.readTlv(bytes, 0, bytes.length + 1, "test"), malformed);
  assert.throws(() => der.readTlv(bytes, 0, bytes.length - 1, "test"), malformed);
});

test("values are decoded strictly", () => {
  const one = (b: Buffer) => der.parseDer(b, "test");
  assert.equal(der.decodeOid(one(der.oid("1.2.840.113741.1.13.1")), "test"), "1.2.840.113741.1.13.1");
  assert.throws(() => der.decodeOid(one(hex("06028001")), "test"), malformed); // non-minimal arc
  assert.throws(() => der.decodeOid(one(hex("060181")), "test"), malformed); // truncated arc
  assert.throws(() => der.decodeBoolean(one(hex("010101")), "test"), malformed); // not 0x00/0xff
  assert.throws(() => der.decodeSmallUint(one(hex("02020001")), "test"), malformed);
  assert.throws(() => der.decodeTime(one(hex("170b323430313031303030305a")), "test"), malformed); // no seconds
  const t = new Date("2031-02-03T04:05:06Z");
  assert.equal(der.decodeTime(one(der.time(t)), "test").getTime(), t.getTime());
  const g = new Date("2051-02-03T04:05:06Z");
  assert.equal(der.decodeTime(one(der.time(g)), "test").getTime(), g.getTime());
});

test("certificates read by the verifier and by RA-TLS go through the same checks", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const good = buildCertificate({
    serial: Buffer.from([1, 2, 3]),
    subject: [["CN", "der test"]],
    issuer: [["CN", "der test"]],
    notBefore: new Date("2030-01-01T00:00:00Z"),
    notAfter: new Date("2030-01-02T00:00:00Z"),
    publicKey,
    signingKey: privateKey,
    extensions: [{ oid: "1.3.6.1.4.1.99999.1", critical: true, value: Buffer.from([5, 0]) }],
  });
  assert.equal(parseRaTlsCertificate(good).extensions[0]?.critical, true);
  assert.equal(parseCertificate(good).subjectCn, "der test");
  assert.equal(spkiPublicKeyBits(publicKey.export({ type: "spki", format: "der" })).length, 65);

  // Same bytes, outer length re-encoded in a non-minimal long form.
  const body = good.subarray(good[1]! & 0x80 ? 2 + (good[1]! & 0x7f) : 2);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const nonMinimal = Buffer.concat([Buffer.from([0x30, 0x84]), length, body]);
  const truncated = good.subarray(0, good.length - 1);
  const trailing = Buffer.concat([good, Buffer.from([0])]);
  // A critical flag of 0x01 is not DER TRUE.
  const flag = good.indexOf(Buffer.from([0x01, 0x01, 0xff]));
  assert.ok(flag > 0);
  const lenientBool = Buffer.from(good);
  lenientBool[flag + 2] = 0x01;

  for (const bad of [nonMinimal, truncated, trailing, lenientBool]) {
    assert.throws(() => parseCertificate(bad), malformed);
    assert.throws(() => parseRaTlsCertificate(bad), certMalformed);
  }
});
