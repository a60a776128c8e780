/**
 * The connection of an `LdapDirectory`: one session (connect, StartTLS, bind) shared by every operation
 * and set up again once the server closed it, each operation run under the time limit and the caller's
 * signal, and ldapts / socket errors mapped to `DirectoryError` codes. Node only (sockets), like ldap.ts,
 * which holds the searches and the entry mapping.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Client, ResultCodeError } from 'ldapts';
import { DirectoryError, SmimeError } from '../errors.js';
import { toBase64Lines, toBytes } from '../util/bytes.js';
import { looksLikePem } from '../util/pem.js';
import { abortError, withAbort } from './abort.js';
import type { LdapDirectoryOptions, LdapDirectoryStats } from './ldap.js';

/** LDAP result codes (RFC 4511 §4.1.9) that get their own error code. */
export const RESULT = {
  timeLimitExceeded: 3,
  strongerAuthRequired: 8,
  confidentialityRequired: 13,
  noSuchObject: 32,
  inappropriateAuthentication: 48,
  invalidCredentials: 49,
  busy: 51,
  unavailable: 52,
};

/** Node socket failures that mean "the server cannot be reached". */
const UNREACHABLE =
  /ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Socket|Connection closed|socket hang up|TLS|SSL/i;
/** Node's codes and messages for a server certificate that does not verify. */
const UNTRUSTED = /certificate|CERT_|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/i;

/** ldapts tried to open a second socket for a session (a silent reconnect without StartTLS and bind): refused. */
class SessionLost extends Error {
  override message = 'Connection closed: the server ended the session';
}

/** One connection: set up (StartTLS, bind) once, used until its socket closes. */
interface Session {
  client: Client;
  ready: Promise<Client>;
  /** A socket of this session closed: never use it again. */
  closed: boolean;
  /** Dropped by the directory: stop setting it up. */
  discarded: boolean;
}

/** Node's TLS `ca` takes PEM only: DER bytes are wrapped. */
function caPem(ca: string | Uint8Array): string {
  if (typeof ca === 'string') return ca;
  const bytes = toBytes(ca, 'ca');
  return looksLikePem(bytes)
    ? new TextDecoder().decode(bytes)
    : `-----BEGIN CERTIFICATE-----\n${toBase64Lines(bytes, 64, '\n')}\n-----END CERTIFICATE-----\n`;
}

/** What a connection reports under: the directory's name, error details and counters. */
export interface LdapConnectionContext {
  name: string;
  timeoutMs: number;
  details: { directory: string; url: string };
  stats: LdapDirectoryStats;
}

/** The shared session of one `LdapDirectory` and the error mapping of its operations. */
export class LdapConnection {
  private current: Session | undefined;

  constructor(
    private readonly options: LdapDirectoryOptions,
    private readonly context: LdapConnectionContext,
  ) {}

  private tlsOptions(): ConnectionOptions {
    return this.options.ca ? { ca: this.options.ca.map(caPem) } : {};
  }

  /** A client whose sockets we create: we see them close, and a second one (ldapts reconnecting on its own) is refused. */
  private newClient(session: { closed: boolean }): Client {
    let opened = false;
    const track = <S extends Socket>(socket: S): S => {
      socket.once('close', () => (session.closed = true));
      return socket;
    };
    const open = () => {
      if (opened) throw new SessionLost();
      opened = true;
    };
    return new Client({
      url: this.options.url,
      timeout: this.context.timeoutMs,
      connectTimeout: this.options.connectTimeoutMs ?? this.context.timeoutMs,
      // For ldap:// the TLS options go to startTLS only: given here too, ldapts would speak TLS from the first byte.
      ...(/^ldaps:/i.test(this.options.url) ? { tlsOptions: this.tlsOptions() } : {}),
      strictDN: false,
      createConnection: ((port: number, host: string) => (open(), track(netConnect(port, host)))) as typeof netConnect,
      // Called with (port, host, options) for ldaps://, and with ({ socket, ... }) to upgrade for StartTLS.
      createSecureConnection: ((first: number | ConnectionOptions, host?: string, tls?: ConnectionOptions) =>
        typeof first === 'number'
          ? (open(), track(tlsConnect(first, host, tls)))
          : track(tlsConnect(first))) as typeof tlsConnect,
    });
  }

  /** The shared session, set up (connect, StartTLS, bind) when there is none. */
  private session(): Session {
    if (this.current && !this.current.closed) return this.current;
    if (this.current) this.discard(this.current);
    const session = { closed: false, discarded: false } as Session;
    session.client = this.newClient(session);
    session.ready = this.setUp(session);
    session.ready.catch(() => this.discard(session));
    this.current = session;
    return session;
  }

  private async setUp(session: Session): Promise<Client> {
    const { client } = session;
    const step = async (work: Promise<unknown>) => {
      await work;
      if (session.discarded) throw new SessionLost();
    };
    if (this.options.startTls) await step(client.startTLS(this.tlsOptions()));
    if (this.options.bindDn !== undefined) await step(client.bind(this.options.bindDn, this.options.password ?? ''));
    // Anonymous: read the root DSE, so the socket is open before concurrent lookups share it and a
    // server that accepts connections without answering is found out here.
    else await step(client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] }));
    this.context.stats.connections++;
    return client;
  }

  /** Drops a session (only that one: a newer session stays) and closes its socket. */
  private discard(session: Session): void {
    if (this.current === session) this.current = undefined;
    if (session.discarded) return;
    session.discarded = true;
    session.client.unbind().catch(() => undefined);
  }

  /** Runs one operation under the time limit and the caller's signal, with errors mapped to DirectoryError. */
  async run<T>(what: string, signal: AbortSignal | undefined, operation: (client: Client) => Promise<T>): Promise<T> {
    const timer = AbortSignal.timeout(this.context.timeoutMs + 250); // backstop if the client's own timers do not fire
    const combined = signal ? AbortSignal.any([signal, timer]) : timer;
    let session: Session | undefined;
    const attempt = async () => {
      session = this.session();
      const client = await session.ready;
      // Closed while we waited: a new session now. This check and ldapts' own run in the same tick.
      if (session.closed) return operation(await (session = this.session()).ready);
      return operation(client);
    };
    try {
      return await withAbort(attempt(), combined, this.context.name);
    } catch (e) {
      const callerAborted = signal?.aborted === true && !timer.aborted;
      // A caller's abort leaves the session to the other lookups; an error the server answered with leaves it usable.
      if (session && !callerAborted && !(e instanceof ResultCodeError)) this.discard(session);
      throw this.mapError(e, what, callerAborted ? signal : undefined, timer.aborted);
    }
  }

  private mapError(e: unknown, what: string, callerSignal: AbortSignal | undefined, timedOut: boolean): SmimeError {
    const { name, timeoutMs, details } = this.context;
    if (callerSignal) return abortError(callerSignal, name);
    if (e instanceof SmimeError && e.code !== 'directory-timeout') return e;
    const noAnswer = () =>
      new DirectoryError('directory-timeout', `${name}: no answer to the ${what} within ${timeoutMs} ms`, {
        details: { ...details, timeoutMs },
        cause: e,
      });
    const result = e instanceof ResultCodeError ? e.code : undefined;
    if (timedOut || e instanceof SmimeError || result === RESULT.timeLimitExceeded) return noAnswer();
    if (result === RESULT.invalidCredentials || result === RESULT.inappropriateAuthentication) {
      return new DirectoryError(
        'directory-auth-failed',
        `${name}: the bind as ${this.options.bindDn ?? '(anonymous)'} was refused (wrong DN or password)`,
        { details, cause: e },
      );
    }
    if (result === RESULT.strongerAuthRequired || result === RESULT.confidentialityRequired) {
      return new DirectoryError(
        'directory-auth-failed',
        `${name}: the server refuses this bind without TLS (use ldaps:// or startTls): ${(e as Error).message}`,
        { details, cause: e },
      );
    }
    if (result === RESULT.busy || result === RESULT.unavailable)
      return new DirectoryError(
        'directory-unreachable',
        `${name}: the server is unavailable: ${(e as Error).message}`,
        { details, cause: e },
      );
    if (result !== undefined) {
      return new DirectoryError(
        'directory-bad-response',
        `${name}: the server answered the ${what} with result ${result}: ${(e as Error).message}`,
        { details: { ...details, resultCode: result }, cause: e },
      );
    }
    const text = e instanceof Error ? `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`.trim() : String(e);
    if (/timed? ?out|timeout/i.test(text)) return noAnswer();
    if (UNTRUSTED.test(text))
      return new DirectoryError(
        'directory-unreachable',
        `${name}: the server certificate is not trusted (check the ca option): ${text}`,
        { details, cause: e },
      );
    if (e instanceof SessionLost || UNREACHABLE.test(text))
      return new DirectoryError('directory-unreachable', `${name}: cannot reach the server: ${text}`, {
        details,
        cause: e,
      });
    return new DirectoryError('directory-bad-response', `${name}: unusable answer to the ${what}: ${text}`, {
      details,
      cause: e,
    });
  }

  /** Unbinds; a later lookup connects again. */
  async close(): Promise<void> {
    const session = this.current;
    if (!session) return;
    this.current = undefined;
    session.discarded = true;
    await session.client.unbind().catch(() => undefined); // closing a connection that already failed is not an error
  }
}
