// Package i18n holds the status page's fixed strings in each language it
// speaks (en, de, fr, es, ja), and how that language writes dates, times,
// plurals, lists and decimals. The catalogs are JSON files embedded at
// build time, one per language; en is the reference every other must
// match key for key.
package i18n
