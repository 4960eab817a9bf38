import t from 'tap';
import { GatewayTableError, domainMatches, formatGatewayTable, matchGateway, parseGatewaySpec, parseGatewayTable } from './gateway-table.ts';

const SEED = `' 例１) ポート25にて関連するサブドメインをまとめて指定ゲートウェイへ接続する場合
*.xxxx01.co.jp,mailgateway01.xxxx.co.jp,25
*.xxxx02.co.jp,mailgateway02.xxxx.co.jp,25
 commented out by a leading blank,x,25
01*.xxxx.co.jp,mailgateway01.xxxx.co.jp,25
02*.xxxx.co.jp,mailgateway02.xxxx.co.jp,25
' 例２) ポート465にてSSLで接続する場合
xxxxxx.co.jp,mailgateway.xxxxxx.co.jp,465*
`;

t.test('the manual examples parse, comments and blank-led lines skipped', async (t) => {
  const rules = parseGatewayTable(SEED);
  t.equal(rules.length, 5);
  t.strictSame(rules[4], { domain: 'xxxxxx.co.jp', host: 'mailgateway.xxxxxx.co.jp', port: 465, tls: true });
  t.strictSame(rules[0], { domain: '*.xxxx01.co.jp', host: 'mailgateway01.xxxx.co.jp', port: 25, tls: false });
  t.equal(formatGatewayTable(parseGatewayTable(formatGatewayTable(rules))), formatGatewayTable(rules), 'round trip');
});

t.test('first match wins, * spans any characters', async (t) => {
  const rules = parseGatewayTable(SEED);
  t.equal(matchGateway(rules, 'a.xxxx01.co.jp')?.host, 'mailgateway01.xxxx.co.jp');
  t.equal(matchGateway(rules, 'deep.sub.xxxx02.co.jp')?.host, 'mailgateway02.xxxx.co.jp');
  t.equal(matchGateway(rules, '01sales.xxxx.co.jp')?.host, 'mailgateway01.xxxx.co.jp');
  t.equal(matchGateway(rules, 'XXXXXX.CO.JP')?.port, 465, 'case-insensitive');
  t.equal(matchGateway(rules, 'xxxx01.co.jp'), null, '*. needs a label before the dot');
  t.equal(matchGateway(rules, 'other.jp'), null);
  const overlap = parseGatewayTable('*.example.jp,first.gw,25\nmail.example.jp,second.gw,26\n');
  t.equal(matchGateway(overlap, 'mail.example.jp')?.host, 'first.gw', 'order decides, not specificity');
  t.ok(domainMatches('*', 'anything.example'));
  t.notOk(domainMatches('a.b', 'aXb'), 'dots are literal');
});

t.test('bad lines name their line number', async (t) => {
  t.throws(() => parseGatewayTable('ok.jp,gw,25\nbad.jp;gw;25\n'), new GatewayTableError(2, ''), 'separator');
  t.throws(() => parseGatewayTable('ok.jp,gw,70000'), /line 1: bad port/);
  t.throws(() => parseGatewayTable('ok.jp,gw,25x'), /line 1: bad port/);
  t.throws(() => parseGatewayTable('ok jp,gw,25'), /line 1: bad domain/);
  t.strictSame(parseGatewayTable('two.jp,gw'), [{ domain: 'two.jp', host: 'gw', port: 25, tls: false }], 'port defaults to 25');
});

t.test('gateway specs of the config', async (t) => {
  t.strictSame(parseGatewaySpec('smtp.example.net'), { host: 'smtp.example.net', port: null, tls: false });
  t.strictSame(parseGatewaySpec('10.0.0.4:587'), { host: '10.0.0.4', port: 587, tls: false });
  t.strictSame(parseGatewaySpec('smtp.example.net:465*'), { host: 'smtp.example.net', port: 465, tls: true });
  t.strictSame(parseGatewaySpec('[::1]:25'), { host: '::1', port: 25, tls: false });
  t.throws(() => parseGatewaySpec('a:b:c'));
});
