/**
 * A small pool of `worker_threads` that signs and encrypts S/MIME messages on every core (docs/worker-pool.md).
 * Each worker loads the identity once (worker.mjs); `signAndEncrypt` hands a message to the least busy worker and
 * resolves with the encrypted message. test/examples/worker-pool.test.ts runs it.
 *
 * @example
 * ```js
 * const pool = await SmimePool.start({ p12, password, trust: sst, size: availableParallelism() });
 * const out = await pool.signAndEncrypt(eml, { recipients: [bobDer] });
 * await pool.close();
 * ```
 */
import { Worker } from 'node:worker_threads';

export class SmimePool {
  /** @type {{ worker: Worker, pending: number }[]} */
  #workers = [];
  /** @type {Map<number, { resolve: (v: Uint8Array) => void, reject: (e: Error) => void }>} */
  #jobs = new Map();
  #nextId = 0;

  /**
   * Starts `size` workers and waits until each has loaded the identity.
   *
   * @param {object} options
   * @param {Uint8Array} options.p12 the signer's PKCS#12 file (the sender: every message is also encrypted to it)
   * @param {string} options.password its password
   * @param {Uint8Array[]} [options.chain] CA certificates (DER) to add to the signature besides the file's
   * @param {Uint8Array} [options.trust] a trust list (SST, PEM, DER or PKCS#7): recipients are validated against it;
   *   without it they are not validated (`validate: false`)
   * @param {number} [options.size] number of workers (default 2)
   * @param {string} [options.moduleUrl] where the workers import smimekit from (default `'smimekit'`)
   */
  static async start(options) {
    const pool = new SmimePool();
    const { size = 2, ...data } = options;
    await Promise.all(Array.from({ length: size }, () => pool.#spawn(data)));
    return pool;
  }

  #spawn(workerData) {
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData });
    const slot = { worker, pending: 0 };
    this.#workers.push(slot);
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m) => {
        if (m.ready) return resolve(undefined);
        const job = this.#jobs.get(m.id);
        if (!job) return;
        this.#jobs.delete(m.id);
        slot.pending--;
        if (m.error) job.reject(Object.assign(new Error(m.error.message), m.error));
        else job.resolve(m.message);
      });
    });
  }

  /**
   * Signs `message` (a whole RFC 5322 message or a MIME entity) and encrypts it to `recipients` and the sender.
   *
   * @param {Uint8Array | string} message
   * @param {{ recipients: Uint8Array[], addresses?: string[] }} job recipient certificates (DER), and their addresses
   *   when the trust list should check them
   * @returns {Promise<Uint8Array>} the encrypted message
   */
  signAndEncrypt(message, { recipients, addresses }) {
    const slot = this.#workers.reduce((a, b) => (b.pending < a.pending ? b : a));
    const id = this.#nextId++;
    slot.pending++;
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject });
      slot.worker.postMessage({ id, message, recipients, from: addresses });
    });
  }

  /** Stops the workers (jobs still running are abandoned). */
  async close() {
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
    this.#workers = [];
  }
}
