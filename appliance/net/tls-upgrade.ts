/** Server-side TLS on an accepted socket: implicit TLS (`995*`, `993*`) and STLS/STARTTLS share it. */
import type net from 'node:net';
import tls from 'node:tls';

/** Resolves once the handshake is done; rejects on error, close or timeout (the socket is destroyed). */
export function upgradeToTls(raw: net.Socket, secureContext: tls.SecureContext, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = new tls.TLSSocket(raw, { isServer: true, secureContext });
    const ignore = () => undefined;
    const fail = (err: Error) => {
      cleanup();
      // a destroyed TLS socket may still report errors; nobody else listens to it
      secure.on('error', ignore);
      raw.on('error', ignore);
      secure.destroy();
      raw.destroy();
      reject(err);
    };
    const onClose = () => fail(new Error('connection closed during the TLS handshake'));
    const onTimeout = () => fail(new Error('TLS handshake timed out'));
    const cleanup = () => {
      secure.off('error', fail);
      secure.off('close', onClose);
      secure.off('timeout', onTimeout);
      secure.setTimeout(0);
    };
    secure.on('error', fail);
    secure.on('close', onClose);
    secure.on('timeout', onTimeout);
    secure.setTimeout(timeoutMs);
    secure.once('secure', () => {
      cleanup();
      resolve(secure);
    });
  });
}
