/**
 * The console's languages: English and Japanese, every string in one dictionary per language
 * (i18n/en.ts, i18n/ja.ts, the same keys). The language is the `mailserver_lang` cookie when the
 * operator chose one, else the best of the browser's Accept-Language (RFC 9110 §12.5.4).
 */
import { en, type Key } from './i18n/en.ts';
import { ja } from './i18n/ja.ts';

export type Lang = 'en' | 'ja';
export const LANGS: Lang[] = ['en', 'ja'];
export const LANG_COOKIE = 'mailserver_lang';
const DICTS: Record<Lang, Record<Key, string>> = { en, ja };

export type Translate = (key: Key, params?: Record<string, string | number>) => string;

/** The preferred supported language of an Accept-Language header (q-values honoured), default English. */
export function fromAcceptLanguage(header: string | undefined): Lang {
  let best: { lang: Lang; q: number } | undefined;
  for (const part of (header ?? '').split(',').slice(0, 50)) {
    const [tag, ...params] = part.trim().split(';');
    const q = Number(params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean) ?? 1);
    const base = tag?.trim().toLowerCase().split('-')[0];
    const lang = LANGS.find((l) => l === base);
    if (lang && Number.isFinite(q) && q > 0 && (!best || q > best.q)) best = { lang, q };
  }
  return best?.lang ?? 'en';
}

export function pickLang(cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  return LANGS.find((l) => l === cookie) ?? fromAcceptLanguage(acceptLanguage);
}

export function translator(lang: Lang): Translate {
  const dict = DICTS[lang];
  return (key, params) => {
    let text = dict[key] ?? en[key] ?? key;
    for (const [k, v] of Object.entries(params ?? {})) text = text.replaceAll(`{${k}}`, String(v));
    return text;
  };
}
