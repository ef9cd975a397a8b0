// Command etcd is the etcd server, built from the published etcd modules for the
// local control plane that pyhelm's tests start.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
