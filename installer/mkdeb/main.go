// Command mkdeb builds labelagent's .deb (`make dist` runs it):
//
//	go run ./installer/mkdeb -bin bin/linux-amd64/labelagent -version 1.2.0 -out dist/labelagent_1.2.0_amd64.deb
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/labelagent/labelagent/installer/deb"
)

func main() {
	var o deb.Options
	flag.StringVar(&o.Binary, "bin", "", "the linux labelagent binary")
	flag.StringVar(&o.Version, "version", "", "package version")
	flag.StringVar(&o.Arch, "arch", "amd64", "Debian architecture")
	flag.StringVar(&o.Out, "out", "", "the .deb to write")
	flag.Parse()
	if o.Binary == "" || o.Version == "" || o.Out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := deb.Build(o); err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(1)
	}
	fmt.Println(o.Out)
}
