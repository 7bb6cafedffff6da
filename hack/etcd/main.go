// Command etcd is etcd's own server, built from go.etcd.io/etcd/server/v3 for
// kube-apiserver in headroom's tests: Debian's etcd-server (3.4) is older than
// the 3.5.24 that kube-apiserver 1.37 requires. Test tooling only: see
// hack/README.md.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

// main is what etcd's own main.go does.
func main() {
	etcdmain.Main(os.Args)
}
