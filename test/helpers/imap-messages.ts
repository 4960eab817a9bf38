/** Test messages for IMAP content tests: nested multiparts, message/rfc822, Japanese charsets. */
import iconv from 'iconv-lite';

/** JIS_TEXT in ISO-2022-JP (iconv-lite has no ISO-2022-JP encoder). */
const JIS_BYTES = Buffer.from('1b2442467c4b5c386c244e4b5c4a3824472439212338213a772447242d245e2439242b1b2842', 'hex');

const crlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

export const SIMPLE = crlf(`From: "Bob Example" <bob@example.org>
To: alice@example.test, "Carol" <carol@example.test>
Cc: undisclosed-recipients:;
Subject: simple message
Date: Mon, 02 Feb 2026 10:00:00 +0000
Message-ID: <simple@example.org>

Hello Alice,
this is the body.
`);

export const JIS_TEXT = '日本語の本文です。検索できますか';
export const SJIS_TEXT = 'シフトJISの添付テキスト';

/** multipart/mixed: text/plain (ISO-2022-JP), multipart/alternative, message/rfc822, Shift_JIS attachment. */
export function nestedMessage(): Buffer {
  const jis = JIS_BYTES.toString('latin1');
  const sjis = iconv.encode(SJIS_TEXT, 'Shift_JIS').toString('base64');
  const text = crlf(`From: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= <jp@example.jp>
To: alice@example.test
Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsJE4lYSE8JWsbKEI=?=
Date: Tue, 03 Feb 2026 09:30:00 +0900
Message-ID: <nested@example.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

preamble
--outer
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

${jis}
--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

plain caf=C3=A9 alternative
--inner
Content-Type: text/html; charset=utf-8

<p>html alternative</p>
--inner--
--outer
Content-Type: message/rfc822

From: inner@example.net
Subject: forwarded inner
Content-Type: text/plain

inner body line
--outer
Content-Type: text/plain; charset=Shift_JIS; name="sjis.txt"
Content-Disposition: attachment; filename="sjis.txt"
Content-Transfer-Encoding: base64

${sjis}
--outer--
epilogue
`);
  return Buffer.from(text, 'latin1');
}
