/**
 * Incremental (streaming) content ciphers for CMS, with memory bounded independently of the message size: AES-CBC
 * and AES-GCM encryption; decryption of everything the one-shot `decryptContentWith` reads (AES-128/192/256-CBC,
 * AES-GCM, DES-EDE3-CBC, DES-CBC, RC2-CBC), chosen by the content-encryption AlgorithmIdentifier.
 *
 * Two implementations behind one interface: on Node (≥ 20.16) OpenSSL through `node:crypto`, reached without an
 * import (`stream-native.ts`); elsewhere WebCrypto (`stream-portable.ts`). 3DES, DES and RC2 use the library's
 * TypeScript block ciphers on both (`stream-common.ts`). Outputs are identical to the one-shot functions'.
 *
 * Streaming decryption releases plaintext before it is authenticated: a caller must not act on it (or must be ready
 * to discard it) until `final()` resolves. A failed check is CryptoError `decryption-failed` from `final()`.
 */
import { ArgumentError, CryptoError } from '../../errors.js';
import type { ParsedAlgorithm } from '../../asn1/index.js';
import { OID } from '../oids.js';
import { cbcParameters } from './by-oid.js';
import { AES_GCM_OIDS, contentKeyLength, parseGcmParameters, type GcmParameterPolicy } from './content.js';
import { createDes } from './des.js';
import { createRc2 } from './rc2.js';
import { BlockCbcDecryptor, type CipherCore } from './stream-common.js';
import {
  NativeCbcDecryptor,
  NativeCbcEncryptor,
  NativeGcmDecryptor,
  NativeGcmEncryptor,
  nodeCrypto,
} from './stream-native.js';
import { PortableCbcDecryptor, PortableCbcEncryptor, PortableGcm } from './stream-portable.js';

/** An incremental cipher. Calls are sequential: await each before the next. */
export interface StreamCipher {
  /** Processes a chunk of any length (also 0); returns what can be output now (may be empty). */
  update(chunk: Uint8Array): Promise<Uint8Array>;
  /**
   * Ends the stream. Encryption: the last output (CBC: the padded final block(s)) and, for GCM, the 16-byte tag.
   * Decryption: CBC checks and strips the PKCS#7 padding in constant time; GCM checks the tag given to `setTag` in
   * constant time. A failure is CryptoError `decryption-failed`, with the one-shot functions' messages.
   */
  final(): Promise<{ output: Uint8Array; tag?: Uint8Array }>;
}

/** A decrypting `StreamCipher`. */
export interface StreamDecipher extends StreamCipher {
  /**
   * AES-GCM only: the tag (AuthEnvelopedData `mac`) and the additional data (the DER of the authAttrs, absent: none),
   * both read after the content — call after the last `update` and before `final`.
   */
  setTag(tag: Uint8Array, aad?: Uint8Array): void;
}

/** Which implementation the streaming ciphers use: OpenSSL through `node:crypto`, or WebCrypto. */
export type StreamCipherPath = 'native' | 'portable';

let forced: StreamCipherPath | undefined;

/**
 * Forces an implementation (`undefined`: automatic, native where `node:crypto` is reachable). For tests and
 * benchmarks; forcing `native` where it is missing throws at the next cipher created.
 *
 * @internal
 */
export function setStreamCipherPath(path: StreamCipherPath | undefined): void {
  forced = path;
}

/** The implementation the next cipher will use. */
export function streamCipherPath(): StreamCipherPath {
  return forced ?? (nodeCrypto() ? 'native' : 'portable');
}

function native(): NonNullable<ReturnType<typeof nodeCrypto>> | undefined {
  const path = streamCipherPath();
  if (path === 'portable') return undefined;
  const node = nodeCrypto();
  if (!node) throw new ArgumentError('bad-argument', 'the native stream cipher path needs node:crypto');
  return node;
}

/** GCM's limit on the data under one key and nonce (SP 800-38D §5.2.1.1): 2^39 − 256 bits. */
const GCM_MAX_BYTES = 2 ** 36 - 32;

/** The checks every stream cipher makes: argument types, call order, GCM's length limit. */
class Guarded implements StreamDecipher {
  private state: 'ready' | 'busy' | 'done' = 'ready';
  private bytes = 0;
  private tagged = false;

  constructor(
    private readonly core: CipherCore,
    private readonly gcmDecrypt: boolean,
    private readonly maxBytes = Infinity,
  ) {}

  private enter(what: string): void {
    if (this.state !== 'ready')
      throw new ArgumentError(
        'bad-argument',
        this.state === 'busy'
          ? `stream cipher: ${what}() while a call is pending (await each call)`
          : `stream cipher: ${what}() after final() or a failure`,
      );
  }

  async update(chunk: Uint8Array): Promise<Uint8Array> {
    this.enter('update');
    if (!(chunk instanceof Uint8Array))
      throw new ArgumentError('bad-argument', 'stream cipher: chunk must be a Uint8Array');
    if (this.tagged) throw new ArgumentError('bad-argument', 'stream cipher: update() after setTag()');
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      this.state = 'done';
      const message = 'AES-GCM input longer than 2^36 − 32 bytes under one nonce';
      throw this.gcmDecrypt
        ? new CryptoError('decryption-failed', `decryption failed: ${message}`)
        : new ArgumentError('bad-argument', message);
    }
    this.state = 'busy';
    try {
      const out = await this.core.update(chunk);
      this.state = 'ready';
      return out;
    } catch (e) {
      this.state = 'done';
      throw e;
    }
  }

  setTag(tag: Uint8Array, aad?: Uint8Array): void {
    this.enter('setTag');
    if (!this.gcmDecrypt || !this.core.setTag)
      throw new ArgumentError('bad-argument', 'stream cipher: setTag() is for AES-GCM decryption only');
    if (this.tagged) throw new ArgumentError('bad-argument', 'stream cipher: setTag() called twice');
    if (!(tag instanceof Uint8Array) || (aad !== undefined && !(aad instanceof Uint8Array)))
      throw new ArgumentError('bad-argument', 'stream cipher: the tag and the AAD must be Uint8Arrays');
    this.core.setTag(tag, aad);
    this.tagged = true;
  }

  async final(): Promise<{ output: Uint8Array; tag?: Uint8Array }> {
    this.enter('final');
    if (this.gcmDecrypt && !this.tagged)
      throw new ArgumentError('bad-argument', 'stream cipher: AES-GCM decryption needs setTag() before final()');
    this.state = 'done';
    return this.core.final();
  }
}

function checkAesKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || ![16, 24, 32].includes(key.length))
    throw new ArgumentError('bad-key-length', `AES keys are 16, 24 or 32 bytes, not ${key?.length}`);
}

/**
 * A streaming encryptor: AES-CBC with PKCS#7 padding (16-byte IV), or AES-GCM (12-byte nonce, 16-byte tag, `aad`
 * known up front). The output is the one-shot `aesCbcEncrypt` / `aesGcmEncrypt` output, in pieces.
 *
 * @throws ArgumentError `bad-key-length`, `bad-iv`, `bad-argument` (AAD with CBC)
 */
export function createContentEncryptor(
  mode: 'cbc' | 'gcm',
  key: Uint8Array,
  ivOrNonce: Uint8Array,
  aad?: Uint8Array,
): StreamCipher {
  checkAesKey(key);
  const ivLength = mode === 'cbc' ? 16 : 12;
  if (!(ivOrNonce instanceof Uint8Array) || ivOrNonce.length !== ivLength)
    throw new ArgumentError('bad-iv', `the AES-${mode.toUpperCase()} IV must be ${ivLength} bytes`);
  if (mode === 'cbc') {
    if (aad !== undefined) throw new ArgumentError('bad-argument', 'AES-CBC has no additional authenticated data');
    const node = native();
    return new Guarded(
      node ? new NativeCbcEncryptor(node, key, ivOrNonce) : new PortableCbcEncryptor(key, ivOrNonce),
      false,
    );
  }
  if (mode !== 'gcm') throw new ArgumentError('bad-argument', `unknown stream cipher mode ${String(mode)}`);
  if (aad !== undefined && !(aad instanceof Uint8Array))
    throw new ArgumentError('bad-argument', 'the AAD must be a Uint8Array');
  const node = native();
  const core = node
    ? new NativeGcmEncryptor(node, key, ivOrNonce, aad)
    : new PortableGcm(key, ivOrNonce, true, 16, aad);
  return new Guarded(core, false, GCM_MAX_BYTES);
}

/**
 * A streaming decryptor for a content-encryption AlgorithmIdentifier as a message states it: AES-128/192/256-CBC,
 * AES-GCM (the nonce and tag length of its parameters under `policy`; the tag and AAD go to `setTag`),
 * DES-EDE3-CBC, DES-CBC, RC2-CBC. Parameters are checked as `checkContentParameters` does, the key length as
 * `decryptContentWith` does.
 *
 * @throws FormatError `malformed-cms`, `bad-rc2-parameters`, `bad-gcm-parameters`; AlgorithmError
 *   `legacy-gcm-parameters`, `unsupported-algorithm`; CryptoError `decryption-failed` (a key of the wrong length)
 */
export function createContentDecryptor(
  alg: ParsedAlgorithm,
  key: Uint8Array,
  policy: GcmParameterPolicy = {},
): StreamDecipher {
  const gcm = AES_GCM_OIDS[alg.oid] !== undefined;
  const parameters = gcm ? parseGcmParameters(alg.der, policy) : cbcParameters(alg.oid, alg.params, 'malformed-cms');
  if (!(key instanceof Uint8Array) || key.length !== contentKeyLength(alg.der))
    throw new CryptoError('decryption-failed', 'decryption failed: the content-encryption key has the wrong length');
  if ('nonce' in parameters) {
    const node = native();
    const { nonce, tagLength } = parameters;
    const core = node
      ? new NativeGcmDecryptor(node, key, nonce, tagLength)
      : new PortableGcm(key, nonce, false, tagLength, undefined);
    return new Guarded(core, true, GCM_MAX_BYTES);
  }
  const { iv, effectiveBits } = parameters;
  switch (alg.oid) {
    case OID.desEde3Cbc:
    case OID.desCbc:
      return new Guarded(new BlockCbcDecryptor(createDes(key), iv), false);
    case OID.rc2Cbc:
      return new Guarded(new BlockCbcDecryptor(createRc2(key, effectiveBits), iv), false);
    default: {
      const node = native();
      return new Guarded(node ? new NativeCbcDecryptor(node, key, iv) : new PortableCbcDecryptor(key, iv), false);
    }
  }
}
