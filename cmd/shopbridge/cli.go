package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// The command line behaves like the Go tools: -h or --help on any command
// prints its usage to standard output and exits 0 without doing anything
// else; a usage mistake (an unknown flag or command, a missing or extra
// argument) is one message on standard error and exit code 2; any other
// failure is exit code 1.

// usageError is a mistake on the command line.
type usageError struct {
	// cmd is the command as typed ("run", "store authorize"), "" for the
	// command word itself.
	cmd string
	msg string
}

func (e *usageError) Error() string { return e.msg }

// usagef returns a usageError of cmd.
func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// line is how main prints it: one line, with where to read the usage.
func (e *usageError) line() string {
	if e.cmd == "" {
		return fmt.Sprintf("shopbridge: %s (see `shopbridge -h`)", e.msg)
	}
	return fmt.Sprintf("shopbridge %s: %s (see `shopbridge %s -h`)", e.cmd, e.msg, e.cmd)
}

// cliFlags is a command's flag set with its synopsis, for -h.
type cliFlags struct {
	*flag.FlagSet
	// synopsis is the usage line(s) and what the command does.
	synopsis string
}

// newFlags returns the flag set of command cmd ("store authorize"); the
// flag package's own printing is off, parse reports instead.
func newFlags(cmd, synopsis string) *cliFlags {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cliFlags{FlagSet: fs, synopsis: synopsis}
}

// printUsage writes the command's synopsis and flags to w.
func (f *cliFlags) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage:\n%s", f.synopsis)
	n := 0
	f.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		f.SetOutput(w)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
	}
}

// parse parses args, with flags before or after the positional arguments
// (`store authorize shop-1 --config x`), and checks the number of
// positional arguments (min to max; max < 0: any). -h/--help prints the
// usage to stdout and returns flag.ErrHelp; a mistake is a usageError.
func (f *cliFlags) parse(args []string, stdout io.Writer, min, max int) ([]string, error) {
	var positional []string
	for {
		err := f.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			f.printUsage(stdout)
			return nil, flag.ErrHelp
		}
		if err != nil {
			return nil, usagef(f.Name(), "%v", err)
		}
		if f.NArg() == 0 {
			break
		}
		positional = append(positional, f.Arg(0))
		args = f.Args()[1:]
	}
	switch {
	case len(positional) < min:
		return nil, usagef(f.Name(), "missing %s", argNames(f.synopsis))
	case max >= 0 && len(positional) > max:
		if max == 0 {
			return nil, usagef(f.Name(), "takes no arguments, got %q", strings.Join(positional, " "))
		}
		return nil, usagef(f.Name(), "too many arguments: %q", strings.Join(positional, " "))
	}
	return positional, nil
}

// argNames finds the positional argument names (<store>) in a synopsis,
// for "missing <store>".
func argNames(synopsis string) string {
	var names []string
	for _, word := range strings.Fields(synopsis) {
		if strings.HasPrefix(word, "<") && strings.HasSuffix(word, ">") {
			names = append(names, word)
		}
	}
	if len(names) == 0 {
		return "argument"
	}
	return strings.Join(names, " ")
}
