/**
 * X.509 without crypto: the certificate model, names, extensions, CRLs. Below
 * the SST layer, so stores can be listed and indexed without a crypto backend.
 */
export * from './algorithm.js';
export * from './certificate.js';
export * from './crl.js';
export * from './der-profile.js';
export * from './extensions.js';
export * from './name.js';
