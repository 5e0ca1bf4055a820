"""The workspace: one folder that holds everything about one corpus, and the guards on its writes.

- workspace.py      Workspace: create, open, index (runs the stages), read and query
- manifest.py       workspace.json: what the workspace holds, which stages are complete
- atomic.py         writes a kill cannot leave half done: a file replaced whole, a folder swapped in, fsync
- store.py          the LanceDB database (docs, labels, clusters): every write one commit
- lock.py           one writer per workspace while `index` and the other stages run
- conflicts.py      retrying LanceDB commit conflicts between concurrent writers
- owned_columns.py  the registry of the columns Loupe writes; no source field overwritten
- sql.py            quoting every name and value; bounding every user predicate
- disk.py           what an OSError means to a user
"""
