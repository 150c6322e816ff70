from chains_lint.cli import main

raise SystemExit(main())
