"""Runtime: shared parameters, schedules, results and `statc check`;
sub-packages online/ (integration, simulation, `statc run`) and control/
(`statc optimize`)."""
