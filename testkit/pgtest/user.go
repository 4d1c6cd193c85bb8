package pgtest

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// serverUser is the system account that runs initdb and postgres when the
// tests run as root: both refuse to run as root ("cannot be run as root"),
// which is what CI containers usually are.
const serverUser = "postgres"

// serverCredential returns the credential to start the server processes
// with, or nil when the current user is not root and can run them itself.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return nil, fmt.Errorf("running as root, so initdb must run as user %q, but looking it up failed "+
			"(install the postgresql package or run the tests as a non-root user): %w", serverUser, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parse uid %q of user %q: %w", u.Uid, serverUser, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("parse gid %q of user %q: %w", u.Gid, serverUser, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// chownTree hands dir and everything in it to cred, so that the server user
// can create the data directory and write its log there.
func chownTree(dir string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(path, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("chown %s to %s: %w", path, serverUser, err)
		}
		return nil
	})
}
