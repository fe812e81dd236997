from kiosk.ops.kioskctl import main

raise SystemExit(main())
