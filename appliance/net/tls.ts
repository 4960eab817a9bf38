/**
 * TLS material: the configured certificate, or a self-signed one generated on first start
 * into the data directory (logged, so the operator knows to replace it).
 */
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import selfsigned from 'selfsigned';
import type { AppConfig } from '../../core/config/schema.ts';
import type { Logger } from '../../core/log.ts';

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  selfSigned: boolean;
}

export async function loadTlsMaterial(config: AppConfig, dataDir: string, log: Logger): Promise<TlsMaterial> {
  if (config.tls.cert && config.tls.key) {
    return { cert: fs.readFileSync(config.tls.cert), key: fs.readFileSync(config.tls.key), selfSigned: false };
  }
  const dir = path.join(dataDir, 'tls');
  const certFile = path.join(dir, 'self-signed-cert.pem');
  const keyFile = path.join(dir, 'self-signed-key.pem');
  if (!fs.existsSync(certFile) || !fs.existsSync(keyFile)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pems = await selfsigned.generate([{ name: 'commonName', value: config.hostname }], {
      keySize: 2048,
      days: 3650,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: config.hostname }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    } as never);
    fs.writeFileSync(keyFile, pems.private, { mode: 0o600 });
    fs.writeFileSync(certFile, pems.cert, { mode: 0o600 });
    log.warn({ cert: certFile }, 'no TLS certificate configured: generated a self-signed one (set tls.cert and tls.key)');
  }
  return { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile), selfSigned: true };
}

export function secureContext(material: TlsMaterial): tls.SecureContext {
  return tls.createSecureContext({ key: material.key, cert: material.cert, minVersion: 'TLSv1.2' });
}
