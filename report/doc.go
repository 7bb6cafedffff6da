// Package report renders the result of a headroom check (*check.Report) for
// the places people read it:
//
//   - Text for terminals and CI logs: the verdict first, then per policy the
//     SLO violations with their times in UTC and in the policy's own zone,
//     the decision that caused each, and the totals.
//   - Markdown for a pull-request comment: a verdict heading, a summary
//     table, the violations and, folded away, the decisions.
//   - JUnit XML for the test reporters of GitLab and GitHub: one test case
//     per policy and traffic file.
//   - JSON: the report as its struct tags define it (docs/CHECK-JSON.md).
//   - HTML: one self-contained page with inline CSS and inline SVG charts of
//     demand against capacity, error ratio and latency, with the violations
//     shaded. It loads nothing from anywhere and needs no JavaScript.
//
// Every function writes the whole output or returns an error; none of them
// reads the clock, so the same report always renders the same bytes.
package report
