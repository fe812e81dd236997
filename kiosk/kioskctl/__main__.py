from kiosk.kioskctl import main

raise SystemExit(main())
