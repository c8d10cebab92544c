from texsandwich.cli import main

main()
