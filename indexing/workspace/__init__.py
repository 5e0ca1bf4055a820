"""The workspace: one folder that holds everything about one corpus, and the guards on its writes.

- workspace.py      Workspace: create, open, read and query; `index` runs the pipeline
- pipeline.py       the build: one function per stage, run in order and recorded by `run`
- stages.py         which stage ran over which rows: recording one, deciding whether one is done
- manifest.py       workspace.json: what the workspace holds, which stages are complete
- atomic.py         writes a kill cannot leave half done: a file replaced whole, a folder swapped in, fsync
- store.py          the LanceDB database (docs, labels, clusters): every write one commit
- lock.py           one writer per workspace while `index` and the other stages run
- conflicts.py      retrying LanceDB commit conflicts between concurrent writers
- owned_columns.py  the registry of the columns Loupe writes; no source field overwritten
- sql.py            quoting every name and value; bounding every user predicate
- disk.py           what an OSError means to a user
"""
