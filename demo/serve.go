package demo

import (
	"html/template"
	"net/http"
)

var indexPage = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>headroom demo · the 2021-06-30 incident</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1f24}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.4rem .6rem;border-bottom:1px solid #d8dee4}
th{background:#f6f8fa}td div{white-space:nowrap}a{color:#0757b8}.links{display:flex;gap:2rem;flex-wrap:wrap}
@media (prefers-color-scheme: dark){body{background:#0d1117;color:#e6edf3}th{background:#161b22}th,td{border-color:#30363d}a{color:#58a6ff}}
</style></head><body>
<h1>The 2021-06-30 incident, replayed through headroom's live code</h1>
<p>One simulated day of the shipped example: the scaling change that caused the seed incident, with headroom's guards off and on.
The controller loop, the detector, incident automation, the status page and postmortem drafting are the ones <code>headroom serve</code> runs.</p>
<div class="links">
<div><strong>Guards off</strong>: <a href="guards-off/">the status page as customers saw it</a> · <a href="guards-off/decisions/">the decisions</a></div>
<div><strong>Guards on</strong>: <a href="guards-on/">the status page</a> · <a href="guards-on/decisions/">the decisions</a></div>
</div>
<h2>Side by side</h2>
<table><thead><tr><th></th><th>seed report (public)</th><th>guards off</th><th>guards on</th></tr></thead><tbody>
{{- range .}}
<tr><th scope="row">{{.What}}</th><td>{{range .Seed}}<div>{{.}}</div>{{end}}</td><td>{{range .Off}}<div>{{.}}</div>{{end}}</td><td>{{range .On}}<div>{{.}}</div>{{end}}</td></tr>
{{- end}}
</tbody></table>
</body></html>
`))

// Handler serves the summary at /, and each outcome's status page and
// decisions page under /guards-off/ and /guards-on/.
func Handler(off, on *Outcome, rows []Row) http.Handler {
	mux := http.NewServeMux()
	for prefix, o := range map[string]*Outcome{"/guards-off": off, "/guards-on": on} {
		mux.Handle(prefix+"/decisions/", http.StripPrefix(prefix, o.Decisions))
		mux.Handle(prefix+"/", http.StripPrefix(prefix, o.Public))
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		_ = indexPage.Execute(w, rows)
	})
	return mux
}
