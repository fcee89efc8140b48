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
	flag.StringVar(&o.TrayBinary, "tray-bin", "", "cmd/labelagent-tray built with -tags tray (optional: the package then starts the tray in desktop sessions)")
	flag.StringVar(&o.Version, "version", "", "package version")
	flag.StringVar(&o.Arch, "arch", "amd64", "Debian architecture")
	flag.StringVar(&o.Out, "out", "", "the .deb to write (default: dist/labelagent_<version>_<arch>.deb)")
	printVersion := flag.String("print-version", "", "print -version as Debian (deb) or Windows (windows) spell it, and exit")
	flag.Parse()
	switch *printVersion {
	case "":
	case "deb":
		fmt.Println(deb.Version(o.Version))
		return
	case "windows":
		fmt.Println(deb.WindowsVersion(o.Version))
		return
	default:
		fmt.Fprintln(os.Stderr, "mkdeb: -print-version deb or windows")
		os.Exit(2)
	}
	o.Version = deb.Version(o.Version)
	if o.Out == "" && o.Version != "" {
		o.Out = "dist/labelagent_" + o.Version + "_" + o.Arch + ".deb"
	}
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
