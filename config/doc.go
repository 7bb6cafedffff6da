// Package config reads headroom.yaml: what `headroom serve` runs. Each
// target names a policy file (any format check reads), the service model,
// a metrics source, an actuator and a mode.
//
// The file is one document:
//
//	apiVersion: headroom.dev/v1alpha1
//	kind: Config
//	metadata: {name: prod}
//	spec:
//	  dataDir: data          # default data, relative to this file's directory
//	  database: postgres://headroom@db/headroom  # optional: shared by several serve processes
//	  loopInterval: 15s      # default 15s; whole seconds, at least 1s
//	  leaseDuration: 45s     # default 3 loops: the leader's lease (with database)
//	  shards: 64             # default 0 (one leader); the replicas share the targets
//	  targets:
//	  - name: web            # required, unique, [a-z0-9-]+
//	    mode: enforce        # enforce | guard | shadow (default) | off
//	    service: service.yaml        # a headroom Service file
//	    policy: deploy/hpa.yaml      # any policy format check reads
//	    policyFormat: auto           # optional, for policy and proposed
//	    proposed: deploy/hpa-next.yaml  # optional: decides in shadow beside the live policy
//	    guards: {enabled: true, margin: 0.1}  # optional; on by default
//	    prometheus:                  # required
//	      url: http://127.0.0.1:9090
//	      demand: 'sum(rate(http_requests_total{job="web"}[1m]))'  # required
//	      utilization: '...'         # optional, as errorRatio and latency
//	      window: 30s                # optional, as timeout
//	    command:                     # an actuator, this or kubernetes, unless mode is off
//	      scale: ["aws", "ecs", "update-service", "--desired-count", "{{desired}}"]
//	      read: ["/usr/local/bin/count.sh"]
//	      timeout: 30s
//	      retries: 2
//	    kubernetes:                  # the other actuator
//	      kubeconfig: ~/.kube/config # optional: $KUBECONFIG, ~/.kube/config, in-cluster
//	      context: prod              # optional: the kubeconfig's current one
//	      namespace: shop            # required
//	      deployment: web            # or statefulSet: web
//	      hpa: web                   # required in guard mode
//	      timeout: 10s
//	      retries: 3
//
//	  page:                  # optional: the status page serve shows
//	    name: Bitbucket      # required: "Incident Report for Bitbucket"
//	    url: https://status.example.com  # optional: where people read it
//	    timeZone: UTC        # optional, an IANA zone
//	    language: en         # optional: en, de, fr, es or ja (BCP 47; de-CH picks de)
//	    metricsInterval: 1m  # optional: how often the components' metrics are collected
//	    trustedProxies: [10.0.0.0/8]  # optional: proxies whose X-Forwarded-For names the client
//	    components:          # required: components, or groups of them (one level)
//	    - name: Website and API          # id: website-and-api (the name's slug) unless given
//	      metrics:                       # optional: its System Metrics, charts of a target's figures
//	      - {target: web, show: errorRatio}  # or latency; name, query and slo optional
//	    - name: Git
//	      components:
//	      - {id: git-ssh, name: Git via SSH, description: ...}
//
// Targets are optional when there is a page, and the page is optional when
// there are targets.
//
// A new target runs in shadow mode unless it says enforce: it decides and
// records, never acts. Guard mode leaves scaling to the platform's own
// autoscaler and holds the HPA's minReplicas up while a reduction would be
// unsafe (see actuator/k8s); it needs the kubernetes actuator with hpa.
// Every mode but off needs an actuator, since the target's capacity is read
// through it. Relative paths are resolved against the config file's
// directory.
//
// Every problem is reported at once, with file, line, field path, value and
// what was expected; the problems of a referenced service or policy file
// are reported as that file's reader reports them.
package config
