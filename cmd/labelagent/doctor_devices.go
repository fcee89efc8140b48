package main

import (
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/labelagent/labelagent/agent/i18n"
	"github.com/labelagent/labelagent/installer/svcdef"
	"github.com/labelagent/labelagent/printer"
)

// deviceCheck looks at a printer's device on this machine: is it there, and
// may the service account open it? It answers "" as status when there is
// nothing to look at locally (network printers, spoolers, other systems).
func deviceCheck(l *i18n.Localizer, pc printer.Config, account *user.User) (msg, fix, status string) {
	if runtime.GOOS != "linux" {
		return "", "", ""
	}
	switch pc.Transport {
	case "serial":
		dev := pc.Serial.Device
		fi, err := os.Stat(dev)
		if err != nil {
			return l.T("doctor.device_missing", "name", pc.Name, "device", dev), l.T("doctor.fix_device_missing"), "fail"
		}
		if !mayOpen(fi, account) {
			return l.T("doctor.device_denied", "name", pc.Name, "device", dev, "user", accountName(account)), l.T("doctor.fix_serial_group", "user", accountName(account)), "fail"
		}
		return l.T("doctor.device_ok", "name", pc.Name, "device", dev), "", "ok"
	case "usb":
		nodes := usbNodes(pc.USB.Vendor, pc.USB.Product)
		if len(nodes) == 0 {
			id := pc.USB.Vendor
			if pc.USB.Product != "" {
				id += ":" + pc.USB.Product
			}
			return l.T("doctor.usb_missing", "name", pc.Name, "id", id), l.T("doctor.fix_device_missing"), "fail"
		}
		for _, n := range nodes {
			fi, err := os.Stat(n)
			if err != nil || !mayOpen(fi, account) {
				return l.T("doctor.device_denied", "name", pc.Name, "device", n, "user", accountName(account)), l.T("doctor.fix_udev"), "fail"
			}
		}
		return l.T("doctor.device_ok", "name", pc.Name, "device", strings.Join(nodes, ", ")), "", "ok"
	case "file":
		dir := pc.File.Dir
		if dir == "" {
			return "", "", ""
		}
		if fi, err := os.Stat(dir); err == nil && account != nil && !mayWrite(fi, account) {
			return l.T("doctor.folder_denied", "name", pc.Name, "dir", dir, "user", accountName(account)), l.T("doctor.fix_chown", "user", account.Username, "group", svcdef.Group, "path", dir), "fail"
		}
	}
	return "", "", ""
}

func accountName(u *user.User) string {
	if u == nil {
		if cur, err := user.Current(); err == nil {
			return cur.Username
		}
		return "?"
	}
	return u.Username
}

// mayOpen: read and write access for the account (the current user when
// there is no service account), by owner, group membership or others.
func mayOpen(fi os.FileInfo, u *user.User) bool { return access(fi, u, 0o6) }

func mayWrite(fi os.FileInfo, u *user.User) bool { return access(fi, u, 0o3) }

func access(fi os.FileInfo, u *user.User, want os.FileMode) bool {
	if u == nil {
		cur, err := user.Current()
		if err != nil {
			return true
		}
		u = cur
	}
	if u.Uid == "0" {
		return true
	}
	uid, gid, ok := fileIDs(fi)
	if !ok {
		return true
	}
	mode := fi.Mode().Perm()
	if uid == u.Uid {
		return (mode>>6)&want == want
	}
	gids, _ := u.GroupIds()
	for _, g := range append(gids, u.Gid) {
		if g == gid {
			return (mode>>3)&want == want
		}
	}
	return mode&want == want
}

// usbNodes finds the /dev/bus/usb nodes of devices with the vendor (and
// product) id, through sysfs.
func usbNodes(vendor, product string) []string {
	vendor = strings.ToLower(strings.TrimPrefix(vendor, "0x"))
	product = strings.ToLower(strings.TrimPrefix(product, "0x"))
	devs, _ := filepath.Glob("/sys/bus/usb/devices/*/idVendor")
	var out []string
	for _, vf := range devs {
		d := filepath.Dir(vf)
		if v := readTrim(vf); vendor != "" && v != vendor {
			continue
		}
		if product != "" && readTrim(filepath.Join(d, "idProduct")) != product {
			continue
		}
		bus, _ := strconv.Atoi(readTrim(filepath.Join(d, "busnum")))
		dev, _ := strconv.Atoi(readTrim(filepath.Join(d, "devnum")))
		if bus > 0 && dev > 0 {
			out = append(out, fmt.Sprintf("/dev/bus/usb/%03d/%03d", bus, dev))
		}
	}
	return out
}

func readTrim(p string) string {
	b, _ := os.ReadFile(p)
	return strings.ToLower(strings.TrimSpace(string(b)))
}

// portOwner names the process listening on addr's TCP port (Linux: from
// /proc/net/tcp and the processes' open sockets), or "".
func portOwner(addr string) string {
	if runtime.GOOS != "linux" {
		return ""
	}
	_, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return ""
	}
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(data), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			local := fields[1]
			i := strings.LastIndex(local, ":")
			if p, err := strconv.ParseUint(local[i+1:], 16, 16); err == nil && int(p) == port {
				inodes[fields[9]] = true
			}
		}
	}
	if len(inodes) == 0 {
		return ""
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		link, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			pid := strings.Split(fd, "/")[2]
			cmd := readTrim("/proc/" + pid + "/comm")
			return fmt.Sprintf("%s (PID %s)", cmd, pid)
		}
	}
	return ""
}
