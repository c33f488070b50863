// Package recordfile is the one append-only record file of TinyWindow: the
// audit log, the venue's duplicate window on disk and the signing service's
// checkpoint state all keep their records with it. A [Format] says how one
// kind of file frames and checks its records; the package holds every rule
// they share:
//
//   - the [Scanner] and its torn-tail rule: only an incomplete final record
//     with nothing valid after it is a torn tail ([TornError]), which may be
//     cut ([Cut]); anything else malformed is a [CorruptError], and the file is
//     left byte for byte as it was;
//   - the exclusive lock ([Lock]), on a separate lock file: a second writer is
//     refused at once with a [LockedError] naming the holder;
//   - the fsync discipline: [OpenFile], [Rename] and [Remove] fsync the
//     directory after every create, rename and remove ([SyncDir]);
//   - the permission rule ([CheckMode]): a directory or file that group or
//     others can write is refused with a [ModeError];
//   - the recovery report ([Recovery]): what was found and what was cut.
package recordfile
