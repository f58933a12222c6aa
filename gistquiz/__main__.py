from gistquiz.cli import main

raise SystemExit(main())
