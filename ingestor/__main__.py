from ingestor.cli import main

raise SystemExit(main())
