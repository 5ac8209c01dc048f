package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// versionCmd is `disputes version`.
type versionCmd struct{}

func (versionCmd) Run(e env) error {
	info, ok := debug.ReadBuildInfo()
	fmt.Fprintln(e.stdout, versionLine(info, ok))
	return nil
}

// versionLine describes the build: the module version ("(devel)" when
// built from a work tree), and the VCS revision, its time and whether the
// tree was modified, when the go command recorded them.
func versionLine(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "disputes (unknown version: no build information)"
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	var parts []string
	if rev := settings["vcs.revision"]; rev != "" {
		parts = append(parts, "revision "+rev)
	}
	if at := settings["vcs.time"]; at != "" {
		parts = append(parts, at)
	}
	if settings["vcs.modified"] == "true" {
		parts = append(parts, "modified")
	}
	line := "disputes " + version
	if len(parts) > 0 {
		line += " (" + strings.Join(parts, ", ") + ")"
	}
	return line + " " + info.GoVersion
}
