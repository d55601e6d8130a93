module swarm-gameday/engine

go 1.25
