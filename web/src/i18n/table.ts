export const LANGS = ['en', 'pt-BR'] as const;
export type Lang = (typeof LANGS)[number];

/** A translation table: both languages must carry exactly the same keys (checked by the compiler). */
export type Table<K extends string> = Readonly<Record<Lang, Readonly<Record<K, string>>>>;

export const defineTable = <K extends string>(t: Table<K>): Table<K> => t;
